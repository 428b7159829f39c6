import Foundation

/// A work pool: where workers pick up runs; every pool has a default queue.
public struct WorkPool: Sendable, Equatable, JSONWritable {
    public var id: UUID
    public var created: Timestamp
    public var updated: Timestamp
    public var name: String
    public var description: String?
    public var type: String
    public var baseJobTemplate: RawJSON
    public var isPaused: Bool
    public var concurrencyLimit: Int?
    public var status: String
    public var defaultQueueId: UUID?
    public var storageConfiguration: RawJSON
    /// Its PENDING and RUNNING runs when it has a concurrency limit (nil without one).
    public var activeSlots: Int?

    /// A pool with every field given.
    public init(
        id: UUID,
        created: Timestamp,
        updated: Timestamp,
        name: String,
        description: String?,
        type: String,
        baseJobTemplate: RawJSON,
        isPaused: Bool,
        concurrencyLimit: Int?,
        status: String,
        defaultQueueId: UUID?,
        storageConfiguration: RawJSON,
        activeSlots: Int? = nil
    ) {
        self.id = id
        self.created = created
        self.updated = updated
        self.name = name
        self.description = description
        self.type = type
        self.baseJobTemplate = baseJobTemplate
        self.isPaused = isPaused
        self.concurrencyLimit = concurrencyLimit
        self.status = status
        self.defaultQueueId = defaultQueueId
        self.storageConfiguration = storageConfiguration
        self.activeSlots = activeSlots
    }

    /// Writes the reference's `WorkPoolResponse`.
    public func write(to w: inout JSONWriter) {
        w.beginResource(id: id, created: created, updated: updated)
        w.key("name")
        w.string(name)
        w.key("description")
        w.string(description)
        w.key("type")
        w.string(type)
        w.key("base_job_template")
        baseJobTemplate.write(to: &w)
        w.key("is_paused")
        w.bool(isPaused)
        w.key("concurrency_limit")
        if let concurrencyLimit { w.int(concurrencyLimit) } else { w.null() }
        w.key("status")
        w.string(status)
        w.key("default_queue_id")
        w.uuid(defaultQueueId)
        w.key("storage_configuration")
        storageConfiguration.write(to: &w)
        w.key("active_slots")
        if let activeSlots { w.int(activeSlots) } else { w.null() }
        w.endObject()
    }
}

/// `POST /work_pools/` body (`WorkPoolCreate`).
public struct WorkPoolCreate: Sendable {
    public var name: String
    public var description: String?
    public var type = "prefect-agent"
    public var baseJobTemplate: JSONValue = .emptyObject
    public var isPaused = false
    public var concurrencyLimit: Int?
    public var storageConfiguration: JSONValue

    /// The storage configuration a pool gets when none is given.
    public static let defaultStorageConfiguration = JSONValue.object([
        ("bundle_upload_step", .null), ("bundle_execution_step", .null), ("default_result_storage_block_id", .null),
    ])

    /// Reads and validates the body.
    public static func read(_ field: JSONField) -> WorkPoolCreate? {
        guard
            let r = field.model(known: [
                "name", "description", "type", "base_job_template", "is_paused", "concurrency_limit", "storage_configuration",
            ])
        else { return nil }
        var name = r.required("name")?.name()
        if let n = name, n.trimmingCharacters(in: CharacterSet(charactersIn: "' \"")).isEmpty {
            r["name"].fail("value_error", "Value error, name cannot be an empty string", ctx: .object([("error", .object([]))]))
            name = nil
        }
        var c = WorkPoolCreate(name: name ?? "", storageConfiguration: defaultStorageConfiguration)
        c.description = r["description"].string()
        c.type = r["type"].string() ?? "prefect-agent"
        c.baseJobTemplate = r["base_job_template"].object() ?? .emptyObject
        c.isPaused = r["is_paused"].bool() ?? false
        if let limit = r["concurrency_limit"].int() {
            if limit < 0 {
                r["concurrency_limit"].fail("greater_than_equal", "Input should be greater than or equal to 0", ctx: .object([("ge", .number("0"))]))
            }
            c.concurrencyLimit = limit
        }
        if let s = storageConfiguration(r["storage_configuration"]) { c.storageConfiguration = s }
        if c.baseJobTemplate != .emptyObject { validateBaseJobTemplate(r["base_job_template"], c.baseJobTemplate) }
        guard name != nil, field.context.issues.isEmpty else { return nil }
        return c
    }

    /// `WorkPoolStorageConfiguration`, answered with its three keys.
    static func storageConfiguration(_ f: JSONField) -> JSONValue? {
        guard let s = f.model(forbidExtra: false, known: []) else { return nil }
        return .object([
            ("bundle_upload_step", s["bundle_upload_step"].isAbsentOrNull ? .null : (s["bundle_upload_step"].object() ?? .null)),
            ("bundle_execution_step", s["bundle_execution_step"].isAbsentOrNull ? .null : (s["bundle_execution_step"].object() ?? .null)),
            ("default_result_storage_block_id", s["default_result_storage_block_id"].uuid().map { .string($0.uuidString.lowercased()) } ?? .null),
        ])
    }

    /// The reference's `validate_base_job_template`: a template other than `{}` needs
    /// `job_configuration` and `variables`, and every `{{ placeholder }}` in the job
    /// configuration must be a property of the variables schema.
    static func validateBaseJobTemplate(_ f: JSONField, _ template: JSONValue) {
        guard template != .emptyObject else { return }
        func truthy(_ v: JSONValue?) -> Bool {
            switch v {
            case nil, .null?, .bool(false)?: return false
            case .object(let p)?: return !p.isEmpty
            case .array(let a)?: return !a.isEmpty
            case .string(let s)?: return !s.isEmpty
            case .number(let n)?: return Double(n) != 0
            default: return true
            }
        }
        guard truthy(template["job_configuration"]), truthy(template["variables"]) else {
            f.fail(
                "value_error",
                "Value error, The `base_job_template` must contain both a `job_configuration` key and a `variables` key.",
                ctx: .object([("error", .emptyObject)])
            )
            return
        }
        var used: [String] = []
        if case .object(let config)? = template["job_configuration"] {
            for (_, value) in config { used += placeholders(in: value.jsonText) }
        }
        var declared = Set<String>()
        if case .object(let props)? = template["variables"]?["properties"] { declared = Set(props.map(\.0)) }
        var seen = Set<String>()
        let missing = used.filter { !declared.contains($0) && seen.insert($0).inserted }
        if !missing.isEmpty {
            f.fail(
                "value_error",
                "Value error, The variables specified in the job configuration template must be present as properties in the variables schema. Your job configuration uses the following undeclared variable(s): \(missing.joined(separator: " ,")).",
                ctx: .object([("error", .emptyObject)])
            )
        }
    }

    /// The names of `{{ name }}` placeholders (`[\w.\-\[\]$]+`, spaces around), in order: one
    /// forward scan.
    static func placeholders(in text: String) -> [String] {
        let b = Array(text.unicodeScalars)
        var names: [String] = []
        var i = 0
        func isNameScalar(_ c: Unicode.Scalar) -> Bool {
            c.properties.isAlphabetic || c.properties.numericType != nil || c == "_" || c == "." || c == "-" || c == "[" || c == "]" || c == "$"
        }
        while i + 1 < b.count {
            guard b[i] == "{", b[i + 1] == "{" else {
                i += 1
                continue
            }
            var j = i + 2
            while j < b.count, b[j].properties.isWhitespace { j += 1 }
            let start = j
            while j < b.count, isNameScalar(b[j]) { j += 1 }
            let end = j
            while j < b.count, b[j].properties.isWhitespace { j += 1 }
            if end > start, j + 1 < b.count, b[j] == "}", b[j + 1] == "}" {
                var name = String.UnicodeScalarView()
                name.append(contentsOf: b[start..<end])
                names.append(String(name))
                i = j + 2
            } else {
                i += 1
            }
        }
        return names
    }
}

/// `PATCH /work_pools/{name}` body (`WorkPoolUpdate`): only the keys given change.
public struct WorkPoolUpdate: Sendable {
    public var description: String?
    public var isPaused: Bool?
    public var baseJobTemplate: JSONValue?
    public var concurrencyLimit: Int?
    public var storageConfiguration: JSONValue?
    /// The keys given (a null `description` or `concurrency_limit` clears it).
    public var present: Set<String> = []

    public init() {}

    public static func read(_ field: JSONField) -> WorkPoolUpdate? {
        guard let r = field.model(known: ["description", "is_paused", "base_job_template", "concurrency_limit", "storage_configuration"]) else {
            return nil
        }
        var u = WorkPoolUpdate()
        if case .object(let pairs) = r.value { u.present = Set(pairs.map(\.0)) }
        u.description = r["description"].string()
        u.isPaused = r["is_paused"].bool()
        if r["is_paused"].value == .null { u.present.remove("is_paused") }
        if !r["base_job_template"].isAbsentOrNull, let t = r["base_job_template"].object() {
            u.baseJobTemplate = t
            WorkPoolCreate.validateBaseJobTemplate(r["base_job_template"], t)
        } else if r["base_job_template"].value == .null {
            u.present.remove("base_job_template")
        }
        if let limit = r["concurrency_limit"].int() {
            if limit < 0 {
                r["concurrency_limit"].fail("greater_than_equal", "Input should be greater than or equal to 0", ctx: .object([("ge", .number("0"))]))
            }
            u.concurrencyLimit = limit
        }
        if !r["storage_configuration"].isAbsentOrNull {
            u.storageConfiguration = WorkPoolCreate.storageConfiguration(r["storage_configuration"])
        } else if r["storage_configuration"].value == .null {
            u.present.remove("storage_configuration")
        }
        return field.context.issues.isEmpty ? u : nil
    }
}

/// A work queue inside a pool.
public struct WorkQueue: Sendable, Equatable, JSONWritable {
    public var id: UUID
    public var created: Timestamp
    public var updated: Timestamp
    public var name: String
    public var description: String?
    public var isPaused: Bool
    public var concurrencyLimit: Int?
    public var priority: Int
    public var workPoolId: UUID
    public var lastPolled: Timestamp?
    public var workPoolName: String
    public var status: String
    /// Its PENDING and RUNNING runs when it has a concurrency limit (nil without one).
    public var activeSlots: Int?

    /// A queue with every field given.
    public init(
        id: UUID,
        created: Timestamp,
        updated: Timestamp,
        name: String,
        description: String?,
        isPaused: Bool,
        concurrencyLimit: Int?,
        priority: Int,
        workPoolId: UUID,
        lastPolled: Timestamp?,
        workPoolName: String,
        status: String,
        activeSlots: Int? = nil
    ) {
        self.id = id
        self.created = created
        self.updated = updated
        self.name = name
        self.description = description
        self.isPaused = isPaused
        self.concurrencyLimit = concurrencyLimit
        self.priority = priority
        self.workPoolId = workPoolId
        self.lastPolled = lastPolled
        self.workPoolName = workPoolName
        self.status = status
        self.activeSlots = activeSlots
    }

    /// Writes the reference's `WorkQueueResponse`.
    public func write(to w: inout JSONWriter) {
        w.beginResource(id: id, created: created, updated: updated)
        w.key("name")
        w.string(name)
        w.key("description")
        w.string(description)
        w.key("is_paused")
        w.bool(isPaused)
        w.key("concurrency_limit")
        if let concurrencyLimit { w.int(concurrencyLimit) } else { w.null() }
        w.key("priority")
        w.int(priority)
        w.key("work_pool_id")
        w.uuid(workPoolId)
        w.key("filter")
        w.null()
        w.key("last_polled")
        w.date(lastPolled)
        w.key("work_pool_name")
        w.string(workPoolName)
        w.key("status")
        w.string(status)
        w.key("active_slots")
        if let activeSlots { w.int(activeSlots) } else { w.null() }
        w.endObject()
    }
}

/// `POST /work_pools/{name}/queues` body (`WorkQueueCreate`).
public struct WorkQueueCreate: Sendable {
    public var name: String
    public var description: String? = ""
    public var isPaused = false
    public var concurrencyLimit: Int?
    public var priority: Int?

    /// A queue request with defaults.
    public init(name: String) { self.name = name }

    /// Reads and validates the body.
    public static func read(_ field: JSONField) -> WorkQueueCreate? {
        guard let r = field.model(known: ["name", "description", "is_paused", "concurrency_limit", "priority", "filter"]) else { return nil }
        let name = r.required("name")?.name()
        var c = WorkQueueCreate(name: name ?? "")
        if r["description"].value != nil { c.description = r["description"].string() }
        c.isPaused = r["is_paused"].bool() ?? false
        if let limit = r["concurrency_limit"].int() {
            if limit < 0 {
                r["concurrency_limit"].fail("greater_than_equal", "Input should be greater than or equal to 0", ctx: .object([("ge", .number("0"))]))
            }
            c.concurrencyLimit = limit
        }
        if let p = r["priority"].int() {
            if p <= 0 { r["priority"].fail("greater_than", "Input should be greater than 0", ctx: .object([("gt", .number("0"))])) }
            c.priority = p
        }
        guard name != nil, field.context.issues.isEmpty else { return nil }
        return c
    }
}

/// `PATCH /work_pools/{pool}/queues/{name}` body (`WorkQueueUpdate`): only the keys given change.
public struct WorkQueueUpdate: Sendable {
    public var name: String?
    public var description: String?
    public var isPaused: Bool?
    public var concurrencyLimit: Int?
    public var priority: Int?
    public var lastPolled: Timestamp?
    /// The keys given (a null `description`, `concurrency_limit` or `last_polled` clears it).
    public var present: Set<String> = []

    public init() {}

    public static func read(_ field: JSONField) -> WorkQueueUpdate? {
        guard let r = field.model(known: ["name", "description", "is_paused", "concurrency_limit", "priority", "last_polled", "filter"]) else {
            return nil
        }
        var u = WorkQueueUpdate()
        if case .object(let pairs) = r.value { u.present = Set(pairs.map(\.0)).subtracting(["filter"]) }
        u.name = r["name"].string()
        if r["name"].value == .null { u.present.remove("name") }
        u.description = r["description"].string()
        var paused = r["is_paused"]
        paused.nullable = false
        if paused.value != nil { u.isPaused = paused.bool() }
        if let limit = r["concurrency_limit"].int() {
            if limit < 0 {
                r["concurrency_limit"].fail("greater_than_equal", "Input should be greater than or equal to 0", ctx: .object([("ge", .number("0"))]))
            }
            u.concurrencyLimit = limit
        }
        if let p = r["priority"].int() {
            if p <= 0 { r["priority"].fail("greater_than", "Input should be greater than 0", ctx: .object([("gt", .number("0"))])) }
            u.priority = p
        }
        if r["priority"].value == .null { u.present.remove("priority") }
        u.lastPolled = r["last_polled"].timestamp()
        if !r["filter"].isAbsentOrNull { _ = r["filter"].object() }
        return field.context.issues.isEmpty ? u : nil
    }
}

/// The reference's `bulk_update_work_queue_priorities`: the queues given their new priorities
/// take their places in priority order, and the others move up as little as needed to keep every
/// priority unique and positive. The new priority of every queue, by id.
public func resequencedPriorities(_ queues: [(id: UUID, priority: Int)], changing: [UUID: Int]) -> [UUID: Int] {
    var ordered = queues.sorted { $0.priority < $1.priority }.filter { changing[$0.id] == nil }
    var result: [UUID: Int] = [:]
    for (id, priority) in changing.sorted(by: { $0.value < $1.value }) where queues.contains(where: { $0.id == id }) {
        result[id] = priority
        if let i = ordered.firstIndex(where: { $0.priority >= priority }) { ordered.insert((id, priority), at: i) }
    }
    var last = 0
    for q in ordered {
        if q.priority <= last {
            last += 1
            result[q.id] = last
        } else {
            last = q.priority
            result[q.id] = result[q.id] ?? q.priority
        }
    }
    return result
}
