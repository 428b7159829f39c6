import Foundation

/// `empirical_policy` of a task run, normalised as the reference returns it.
public enum TaskRunPolicy {
    /// Reads a policy (extra keys ignored) and returns its normalised JSON.
    public static func read(_ field: JSONField) -> JSONValue? {
        var maxRetries = 0
        var retryDelaySeconds = 0.0
        var retries: Int?
        var retryDelay: JSONValue = .null
        var jitter: JSONValue = .null
        var rawRetryDelaySeconds: JSONValue?
        if field.value != nil {
            guard let r = field.model(forbidExtra: false, known: []) else { return nil }
            maxRetries = r["max_retries"].int() ?? 0
            retryDelaySeconds = r["retry_delay_seconds"].double() ?? 0
            rawRetryDelaySeconds = r["retry_delay_seconds"].value
            retries = r["retries"].int()
            let rd = r["retry_delay"]
            if let v = rd.value, v != .null {
                switch v {
                case .number, .string, .bool:
                    if let n = delays([v])?.first {
                        retryDelay = n
                    } else {
                        rd.fail("value_error", "Value error, Can not configure more than 50 retry delays per task.")
                    }
                case .array(let items) where items.count <= 50:
                    if let numbers = delays(items) {
                        retryDelay = .array(numbers)
                    } else {
                        rd.fail("value_error", "Value error, Can not configure more than 50 retry delays per task.")
                    }
                default: rd.fail("value_error", "Value error, Can not configure more than 50 retry delays per task.")
                }
            }
            if let j = r["retry_jitter_factor"].double() {
                if j < 0 {
                    r["retry_jitter_factor"].fail("value_error", "Value error, `retry_jitter_factor` must be >= 0.")
                } else {
                    jitter = .number(JSONWriter.pythonFloat(j))
                }
            }
        }
        // The reference copies the deprecated fields' input before validating, so `5` stays 5.
        if (retries ?? 0) == 0, maxRetries != 0 { retries = maxRetries }
        if isFalsy(retryDelay), retryDelaySeconds != 0 {
            retryDelay = rawRetryDelaySeconds.flatMap { delays([$0])?.first } ?? .number(JSONWriter.pythonFloat(retryDelaySeconds))
        }
        return .object([
            ("max_retries", .number(String(maxRetries))),
            ("retry_delay_seconds", .number(JSONWriter.pythonFloat(retryDelaySeconds))),
            ("retries", retries.map { .number(String($0)) } ?? .null),
            ("retry_delay", retryDelay),
            ("retry_jitter_factor", jitter),
        ])
    }

    /// Python's falsiness of a `retry_delay`: null, zero or an empty list.
    static func isFalsy(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return true
        case .number(let t): return Double(t) == 0
        case .array(let items): return items.isEmpty
        default: return false
        }
    }

    /// Delays as pydantic reads `int | float` (or `list[int] | list[float]`) in its smart union:
    /// all exact integers, else all numbers as floats, else lax integers (`"5"`, `true`, `5.0`),
    /// else lax floats (`"5.5"`); nil when an item is none of these.
    static func delays(_ items: [JSONValue]) -> [JSONValue]? {
        for (lax, integer) in [(false, true), (false, false), (true, true), (true, false)] {
            let read = items.compactMap { delay($0, lax: lax, integer: integer) }
            if read.count == items.count { return read }
        }
        return nil
    }

    private static func delay(_ v: JSONValue, lax: Bool, integer: Bool) -> JSONValue? {
        let value: Double
        switch v {
        case .number(let t):
            if integer, Int(t) != nil { return v }
            guard let d = Double(t), d.isFinite else { return nil }
            value = d
        case .string(let s) where lax:
            let t = s.trimmingCharacters(in: .whitespaces)
            guard let d = Double(t), d.isFinite, t.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }) else { return nil }
            if integer, let i = Int(t) { return .number(String(i)) }
            value = d
        case .bool(let b) where lax: value = b ? 1 : 0
        default: return nil
        }
        if !integer { return .number(JSONWriter.pythonFloat(value)) }
        guard lax, value == value.rounded(), let i = Int(exactly: value) else { return nil }
        return .number(String(i))
    }
}

/// A task run as stored, with its current state denormalised onto the row.
public struct TaskRun: Sendable, Equatable {
    public var id: UUID
    public var created: Timestamp
    public var updated: Timestamp
    public var name: String
    public var flowRunId: UUID?
    public var taskKey: String
    public var dynamicKey: String
    public var cacheKey: String?
    public var cacheExpiration: Timestamp?
    public var taskVersion: String?
    public var empiricalPolicy: RawJSON
    public var tags: [String]
    public var labels: RawJSON
    public var stateId: UUID?
    public var taskInputs: RawJSON
    public var stateType: StateType?
    public var stateName: String?
    public var stateTimestamp: Timestamp?
    public var runCount: Int
    public var flowRunRunCount: Int
    public var expectedStartTime: Timestamp?
    public var nextScheduledStartTime: Timestamp?
    public var startTime: Timestamp?
    public var endTime: Timestamp?
    public var totalRunTime: Double
    public var state: RawJSON?

    /// A task run with every field given.
    public init(
        id: UUID,
        created: Timestamp,
        updated: Timestamp,
        name: String,
        flowRunId: UUID?,
        taskKey: String,
        dynamicKey: String,
        cacheKey: String?,
        cacheExpiration: Timestamp?,
        taskVersion: String?,
        empiricalPolicy: RawJSON,
        tags: [String],
        labels: RawJSON,
        stateId: UUID?,
        taskInputs: RawJSON,
        stateType: StateType?,
        stateName: String?,
        stateTimestamp: Timestamp?,
        runCount: Int,
        flowRunRunCount: Int,
        expectedStartTime: Timestamp?,
        nextScheduledStartTime: Timestamp?,
        startTime: Timestamp?,
        endTime: Timestamp?,
        totalRunTime: Double,
        state: RawJSON?
    ) {
        self.id = id
        self.created = created
        self.updated = updated
        self.name = name
        self.flowRunId = flowRunId
        self.taskKey = taskKey
        self.dynamicKey = dynamicKey
        self.cacheKey = cacheKey
        self.cacheExpiration = cacheExpiration
        self.taskVersion = taskVersion
        self.empiricalPolicy = empiricalPolicy
        self.tags = tags
        self.labels = labels
        self.stateId = stateId
        self.taskInputs = taskInputs
        self.stateType = stateType
        self.stateName = stateName
        self.stateTimestamp = stateTimestamp
        self.runCount = runCount
        self.flowRunRunCount = flowRunRunCount
        self.expectedStartTime = expectedStartTime
        self.nextScheduledStartTime = nextScheduledStartTime
        self.startTime = startTime
        self.endTime = endTime
        self.totalRunTime = totalRunTime
        self.state = state
    }

    /// Writes the reference's `TaskRun` response, computing the estimates at `now`.
    public func write(to w: inout JSONWriter, now: Timestamp) {
        w.beginResource(id: id, created: created, updated: updated)
        w.key("name")
        w.string(name)
        w.key("flow_run_id")
        w.uuid(flowRunId)
        w.key("task_key")
        w.string(taskKey)
        w.key("dynamic_key")
        w.string(dynamicKey)
        w.key("cache_key")
        w.string(cacheKey)
        w.key("cache_expiration")
        w.date(cacheExpiration)
        w.key("task_version")
        w.string(taskVersion)
        w.key("empirical_policy")
        empiricalPolicy.write(to: &w)
        w.key("tags")
        w.strings(tags)
        w.key("labels")
        labels.write(to: &w)
        w.key("state_id")
        w.uuid(stateId)
        w.key("task_inputs")
        taskInputs.write(to: &w)
        w.key("state_type")
        w.string(stateType?.rawValue)
        w.key("state_name")
        w.string(stateName)
        w.key("run_count")
        w.int(runCount)
        w.key("flow_run_run_count")
        w.int(flowRunRunCount)
        w.key("expected_start_time")
        w.date(expectedStartTime)
        w.key("next_scheduled_start_time")
        w.date(nextScheduledStartTime)
        w.key("start_time")
        w.date(startTime)
        w.key("end_time")
        w.date(endTime)
        w.key("total_run_time")
        w.double(totalRunTime)
        w.key("estimated_run_time")
        w.double(RunTiming.estimatedRunTime(stateType: stateType, stateTimestamp: stateTimestamp, totalRunTime: totalRunTime, now: now))
        w.key("estimated_start_time_delta")
        w.double(RunTiming.estimatedStartTimeDelta(startTime: startTime, expectedStartTime: expectedStartTime, stateType: stateType, now: now))
        w.key("state")
        w.raw(state)
        w.endObject()
    }
}

extension TaskRun {
    /// Writes the smaller `TaskRunResponse` that `/task_runs/paginate` returns.
    public func writeSummary(to w: inout JSONWriter, now: Timestamp) {
        w.beginResource(id: id, created: created, updated: updated)
        w.key("name")
        w.string(name)
        w.key("flow_run_id")
        w.uuid(flowRunId)
        w.key("task_key")
        w.string(taskKey)
        w.key("state_id")
        w.uuid(stateId)
        w.key("state")
        w.raw(state)
        w.key("task_version")
        w.string(taskVersion)
        w.key("task_inputs")
        taskInputs.write(to: &w)
        w.key("empirical_policy")
        empiricalPolicy.write(to: &w)
        w.key("tags")
        w.strings(tags)
        w.key("start_time")
        w.date(startTime)
        w.key("end_time")
        w.date(endTime)
        w.key("total_run_time")
        w.double(totalRunTime)
        w.key("estimated_run_time")
        w.double(RunTiming.estimatedRunTime(stateType: stateType, stateTimestamp: stateTimestamp, totalRunTime: totalRunTime, now: now))
        w.key("estimated_start_time_delta")
        w.double(RunTiming.estimatedStartTimeDelta(startTime: startTime, expectedStartTime: expectedStartTime, stateType: stateType, now: now))
        w.endObject()
    }
}

/// `POST /task_runs/` body (`TaskRunCreate`).
public struct TaskRunCreate: Sendable {
    public var id: UUID?
    public var state: StateCreate?
    public var name: String
    public var flowRunId: UUID?
    public var taskKey: String
    public var dynamicKey: String
    public var cacheKey: String?
    public var cacheExpiration: Timestamp?
    public var taskVersion: String?
    public var empiricalPolicy: JSONValue
    public var tags: [String]
    public var labels: JSONValue
    public var taskInputs: JSONValue

    /// A task run request with every field given.
    public init(
        id: UUID?,
        state: StateCreate?,
        name: String,
        flowRunId: UUID?,
        taskKey: String,
        dynamicKey: String,
        cacheKey: String?,
        cacheExpiration: Timestamp?,
        taskVersion: String?,
        empiricalPolicy: JSONValue,
        tags: [String],
        labels: JSONValue,
        taskInputs: JSONValue
    ) {
        self.id = id
        self.state = state
        self.name = name
        self.flowRunId = flowRunId
        self.taskKey = taskKey
        self.dynamicKey = dynamicKey
        self.cacheKey = cacheKey
        self.cacheExpiration = cacheExpiration
        self.taskVersion = taskVersion
        self.empiricalPolicy = empiricalPolicy
        self.tags = tags
        self.labels = labels
        self.taskInputs = taskInputs
    }

    /// Reads and validates the body.
    public static func read(_ field: JSONField) -> TaskRunCreate? {
        guard
            let r = field.model(known: [
                "id", "state", "name", "flow_run_id", "task_key", "dynamic_key", "cache_key", "cache_expiration", "task_version", "empirical_policy",
                "tags", "labels", "task_inputs",
            ])
        else { return nil }
        let id = r["id"].uuid()
        let state = r["state"].isAbsentOrNull ? nil : StateCreate.read(r["state"])
        let name = r["name"].value == nil ? nil : r["name"].string()
        let flowRunId = r["flow_run_id"].uuid()
        let taskKey = r.required("task_key")?.string()
        let dynamicKey = r.required("dynamic_key")?.string()
        let cacheKey = r["cache_key"].string()
        let cacheExpiration = r["cache_expiration"].timestamp()
        let taskVersion = r["task_version"].string()
        let policy = TaskRunPolicy.read(r["empirical_policy"])
        let tags = r["tags"].tags() ?? []
        let labels = r["labels"].labels() ?? .emptyObject
        let inputs = r["task_inputs"].isAbsentOrNull ? JSONValue.emptyObject : (r["task_inputs"].object() ?? .emptyObject)
        guard let taskKey, let dynamicKey, let policy, field.context.issues.isEmpty else { return nil }
        return TaskRunCreate(
            id: id,
            state: state,
            name: name ?? NameGenerator.slug(),
            flowRunId: flowRunId,
            taskKey: taskKey,
            dynamicKey: dynamicKey,
            cacheKey: cacheKey,
            cacheExpiration: cacheExpiration,
            taskVersion: taskVersion,
            empiricalPolicy: policy,
            tags: tags,
            labels: labels,
            taskInputs: inputs
        )
    }
}
