import Foundation

/// The nine state types of a Prefect run.
public enum StateType: String, Sendable, CaseIterable, Hashable {
    case SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, CRASHED, PAUSED, CANCELLING

    /// Whether a run in this state has finished.
    public var isFinal: Bool { [.COMPLETED, .FAILED, .CANCELLED, .CRASHED].contains(self) }

    /// The default state name for this type ("Scheduled", "Cancelling", ...).
    public var defaultName: String { rawValue.prefix(1) + rawValue.dropFirst().lowercased() }
}

/// `state_details`: the bookkeeping a state carries. Extra keys are ignored, as in the reference.
public struct StateDetails: Sendable, Equatable {
    public var flowRunId: UUID?
    public var taskRunId: UUID?
    public var childFlowRunId: UUID?
    public var scheduledTime: Timestamp?
    /// The UTC offset `scheduled_time` was written with (microseconds): the reference keeps a
    /// datetime's offset in the state's JSON (a scheduled run's local time, a client's offset).
    public var scheduledTimeOffset: Int64 = 0
    public var cacheKey: String?
    public var cacheExpiration: Timestamp?
    public var deferred: Bool? = false
    public var untrackableResult = false
    public var pauseTimeout: Timestamp?
    public var pauseReschedule = false
    public var pauseKey: String?
    public var runInputKeyset: JSONValue?
    public var refreshCache: Bool?
    public var retriable: Bool?
    public var transitionId: UUID?
    public var taskParametersId: UUID?
    public var traceparent: String?
    public var deploymentConcurrencyLeaseId: UUID?

    /// Empty details with the reference's defaults.
    public init() {}

    /// Reads details from a request, ignoring unknown keys.
    public init(_ r: ObjectReader) {
        flowRunId = r["flow_run_id"].uuid()
        taskRunId = r["task_run_id"].uuid()
        childFlowRunId = r["child_flow_run_id"].uuid()
        scheduledTime = r["scheduled_time"].timestamp()
        if scheduledTime != nil, case .string(let text)? = r["scheduled_time"].value { scheduledTimeOffset = Timestamp.utcOffset(ofISO8601: text) }
        cacheKey = r["cache_key"].string()
        cacheExpiration = r["cache_expiration"].timestamp()
        let d = r["deferred"]
        deferred = d.value == nil ? false : (d.isAbsentOrNull ? nil : d.bool())
        untrackableResult = r["untrackable_result"].bool() ?? false
        pauseTimeout = r["pause_timeout"].timestamp()
        pauseReschedule = r["pause_reschedule"].bool() ?? false
        pauseKey = r["pause_key"].string()
        let keyset = r["run_input_keyset"]
        if !keyset.isAbsentOrNull { runInputKeyset = keyset.object() }
        refreshCache = r["refresh_cache"].bool()
        retriable = r["retriable"].bool()
        transitionId = r["transition_id"].uuid()
        taskParametersId = r["task_parameters_id"].uuid()
        traceparent = r["traceparent"].string()
        deploymentConcurrencyLeaseId = r["deployment_concurrency_lease_id"].uuid()
    }
}

extension StateDetails: JSONWritable {
    /// Writes every field in the reference's order.
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("flow_run_id")
        w.uuid(flowRunId)
        w.key("task_run_id")
        w.uuid(taskRunId)
        w.key("child_flow_run_id")
        w.uuid(childFlowRunId)
        w.key("scheduled_time")
        if let scheduledTime, scheduledTimeOffset != 0 {
            w.string(scheduledTime.description(offset: scheduledTimeOffset))
        } else {
            w.date(scheduledTime)
        }
        w.key("cache_key")
        w.string(cacheKey)
        w.key("cache_expiration")
        w.date(cacheExpiration)
        w.key("deferred")
        if let deferred { w.bool(deferred) } else { w.null() }
        w.key("untrackable_result")
        w.bool(untrackableResult)
        w.key("pause_timeout")
        w.date(pauseTimeout)
        w.key("pause_reschedule")
        w.bool(pauseReschedule)
        w.key("pause_key")
        w.string(pauseKey)
        w.key("run_input_keyset")
        if let runInputKeyset { w.value(runInputKeyset) } else { w.null() }
        w.key("refresh_cache")
        if let refreshCache { w.bool(refreshCache) } else { w.null() }
        w.key("retriable")
        if let retriable { w.bool(retriable) } else { w.null() }
        w.key("transition_id")
        w.uuid(transitionId)
        w.key("task_parameters_id")
        w.uuid(taskParametersId)
        w.key("traceparent")
        w.string(traceparent)
        w.key("deployment_concurrency_lease_id")
        w.uuid(deploymentConcurrencyLeaseId)
        w.endObject()
    }
}

/// A state as proposed by a client (`StateCreate`).
public struct StateCreate: Sendable, Equatable {
    public var type: StateType
    public var name: String?
    public var message: String?
    public var data: JSONValue?
    public var stateDetails: StateDetails

    /// A proposal of a type with optional name and details.
    public init(type: StateType, name: String? = nil, message: String? = nil, data: JSONValue? = nil, stateDetails: StateDetails = StateDetails()) {
        self.type = type
        self.name = name
        self.message = message
        self.data = data
        self.stateDetails = stateDetails
    }

    /// The proposal with the reference's `default_scheduled_start_time`: a Scheduled state without
    /// a scheduled time is scheduled for `now`.
    public func defaultingScheduledTime(to now: Timestamp) -> StateCreate {
        guard type == .SCHEDULED, stateDetails.scheduledTime == nil else { return self }
        var copy = self
        copy.stateDetails.scheduledTime = now
        return copy
    }

    /// Reads a proposal; unknown keys are rejected (`extra="forbid"`).
    public static func read(_ field: JSONField) -> StateCreate? {
        guard let r = field.model(known: ["type", "name", "message", "data", "state_details"]) else { return nil }
        let type = r.required("type")?.enumeration(StateType.self)
        let name = r["name"].string()
        let message = r["message"].string()
        let dataField = r["data"]
        let details: StateDetails
        let df = r["state_details"]
        if df.isAbsentOrNull {
            details = StateDetails()
        } else if let dr = df.model(forbidExtra: false, known: []) {
            details = StateDetails(dr)
        } else {
            details = StateDetails()
        }
        guard let type else { return nil }
        return StateCreate(type: type, name: name, message: message, data: dataField.isAbsentOrNull ? nil : dataField.value, stateDetails: details)
    }
}

/// A state in a run's history, as stored and returned.
public struct State: Sendable, Equatable {
    public var id: UUID
    public var type: StateType
    public var name: String
    public var timestamp: Timestamp
    public var message: String?
    public var data: JSONValue?
    public var stateDetails: StateDetails

    /// A state with every field given.
    public init(id: UUID, type: StateType, name: String, timestamp: Timestamp, message: String?, data: JSONValue?, stateDetails: StateDetails) {
        self.id = id
        self.type = type
        self.name = name
        self.timestamp = timestamp
        self.message = message
        self.data = data
        self.stateDetails = stateDetails
    }
}

extension State: JSONWritable {
    /// Writes the state in the reference's field order.
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("id")
        w.uuid(id)
        w.key("type")
        w.string(type.rawValue)
        w.key("name")
        w.string(name)
        w.key("timestamp")
        w.date(timestamp)
        w.key("message")
        w.string(message)
        w.key("data")
        if let data { w.value(data) } else { w.null() }
        w.key("state_details")
        stateDetails.write(to: &w)
        w.endObject()
    }
}
