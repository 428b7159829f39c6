import Foundation

/// A log line a run shipped.
public struct Log: Sendable, Equatable, JSONWritable {
    public var id: UUID
    public var created: Timestamp
    public var updated: Timestamp
    public var name: String
    public var level: Int
    public var message: String
    public var timestamp: Timestamp
    public var flowRunId: UUID?
    public var taskRunId: UUID?

    /// A log with every field given.
    public init(
        id: UUID,
        created: Timestamp,
        updated: Timestamp,
        name: String,
        level: Int,
        message: String,
        timestamp: Timestamp,
        flowRunId: UUID?,
        taskRunId: UUID?
    ) {
        self.id = id
        self.created = created
        self.updated = updated
        self.name = name
        self.level = level
        self.message = message
        self.timestamp = timestamp
        self.flowRunId = flowRunId
        self.taskRunId = taskRunId
    }

    /// Writes the reference's `Log`.
    public func write(to w: inout JSONWriter) {
        w.beginResource(id: id, created: created, updated: updated)
        w.key("name")
        w.string(name)
        w.key("level")
        w.int(level)
        w.key("message")
        w.string(message)
        w.key("timestamp")
        w.date(timestamp)
        w.key("flow_run_id")
        w.uuid(flowRunId)
        w.key("task_run_id")
        w.uuid(taskRunId)
        w.endObject()
    }
}

/// One element of `POST /logs/` (`LogCreate`).
public struct LogCreate: Sendable, Equatable {
    public var name: String
    public var level: Int
    public var message: String
    public var timestamp: Timestamp
    public var flowRunId: UUID?
    public var taskRunId: UUID?

    /// A log line to store.
    public init(name: String, level: Int, message: String, timestamp: Timestamp, flowRunId: UUID?, taskRunId: UUID?) {
        self.name = name
        self.level = level
        self.message = message
        self.timestamp = timestamp
        self.flowRunId = flowRunId
        self.taskRunId = taskRunId
    }

    /// Reads the body: a list of log lines.
    public static func readList(_ field: JSONField) -> [LogCreate]? {
        switch field.value {
        case .object?:
            field.fail("is_instance_of", "Input should be an instance of Sequence", ctx: .object([("class", .string("Sequence"))]))
            return nil
        case .string?:
            field.fail("sequence_str", "'str' instances are not allowed as a Sequence value", ctx: .object([("type_name", .string("str"))]))
            return nil
        default: break
        }
        return field.list { f in
            guard let r = f.model(known: ["name", "level", "message", "timestamp", "flow_run_id", "task_run_id", "worker_id"]) else { return nil }
            let name = r.required("name")?.string()
            let level = r.required("level")?.int()
            let message = r.required("message")?.string()
            let timestamp = r.required("timestamp")?.timestamp()
            let flowRunId = r["flow_run_id"].uuid()
            let taskRunId = r["task_run_id"].uuid()
            _ = r["worker_id"].uuid()
            guard let name, let level, let message, let timestamp else { return nil }
            // NUL bytes are stripped, as the reference does.
            return LogCreate(
                name: name.replacingOccurrences(of: "\u{0}", with: ""),
                level: level,
                message: message.replacingOccurrences(of: "\u{0}", with: ""),
                timestamp: timestamp,
                flowRunId: flowRunId,
                taskRunId: taskRunId
            )
        }
    }
}

/// Log sorts (`LogSort`).
public enum LogSort: String, Sendable, CaseIterable {
    case TIMESTAMP_ASC, TIMESTAMP_DESC
}

/// The body of `POST /logs/filter`.
public struct ReadLogsQuery: Sendable, Equatable {
    public var logs: Condition
    public var sort: LogSort
    public var paging: Paging

    /// Validates a body.
    public static func read(_ body: JSONValue?, defaultLimit: Int) throws -> ReadLogsQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: ["limit", "offset", "logs", "sort"])
        var logs: Condition = .always
        if !r["logs"].isAbsentOrNull, let c = Filters.log(r["logs"]) { logs = c }
        let sort = r["sort"].isAbsentOrNull ? .TIMESTAMP_ASC : (r["sort"].enumeration(LogSort.self) ?? .TIMESTAMP_ASC)
        let (paging, limitProblem) = Paging.read(r, defaultLimit: defaultLimit)
        try context.check()
        if let limitProblem { throw limitProblem }
        return ReadLogsQuery(logs: logs, sort: sort, paging: paging)
    }
}

/// The reference's log text search: words and quoted phrases, `-`/`!` to exclude, `+` to require.
public struct TextSearchQuery: Sendable, Equatable {
    public var include: [String] = []
    public var exclude: [String] = []
    public var required: [String] = []

    /// Parses a query as `parse_text_search_query` does.
    public init(_ query: String) {
        let chars = Array(query)
        var i = 0
        while i < chars.count {
            if chars[i].isWhitespace {
                i += 1
                continue
            }
            var prefix: Character?
            if "-!+".contains(chars[i]) {
                let p = chars[i]
                i += 1
                if i < chars.count, !chars[i].isWhitespace { prefix = p } else { continue }
            }
            var term: String
            if i < chars.count, chars[i] == "\"" {
                i += 1
                var phrase: [Character] = []
                while i < chars.count {
                    if chars[i] == "\\", i + 1 < chars.count {
                        if chars[i + 1] == "\"" || chars[i + 1] == "\\" {
                            phrase.append(chars[i + 1])
                        } else {
                            phrase.append("\\")
                            i -= 1
                        }
                        i += 2
                    } else if chars[i] == "\"" {
                        break
                    } else {
                        phrase.append(chars[i])
                        i += 1
                    }
                }
                if i < chars.count { i += 1 }
                term = String(phrase)
                if term.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            } else {
                let start = i
                while i < chars.count, !chars[i].isWhitespace, chars[i] != "\"" { i += 1 }
                term = String(chars[start..<i])
                if term.isEmpty { continue }
            }
            switch prefix {
            case "-", "!": exclude.append(term)
            case "+": required.append(term)
            default: include.append(term)
            }
        }
    }
}
