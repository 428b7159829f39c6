import Foundation

/// `empirical_policy` of a flow run: how it retries and pauses.
public struct FlowRunPolicy: Sendable, Equatable, JSONWritable {
    public var maxRetries = 0
    public var retryDelaySeconds = 0.0
    public var retries: Int?
    public var retryDelay: Int?
    public var pauseKeys: [String] = []
    public var resuming: Bool? = false
    public var retryType: String?

    /// The default policy.
    public init() {}

    /// Reads a policy (extra keys ignored), filling `retries`/`retry_delay` from the deprecated fields.
    public static func read(_ field: JSONField) -> FlowRunPolicy? {
        if field.value == nil { return FlowRunPolicy() }
        guard let r = field.model(forbidExtra: false, known: []) else { return nil }
        var p = FlowRunPolicy()
        p.maxRetries = r["max_retries"].int() ?? 0
        p.retryDelaySeconds = r["retry_delay_seconds"].double() ?? 0
        p.retries = r["retries"].int()
        p.retryDelay = r["retry_delay"].int()
        if let keys = r["pause_keys"].isAbsentOrNull ? nil : r["pause_keys"].strings() {
            var seen = Set<String>()
            p.pauseKeys = keys.filter { seen.insert($0).inserted }
        }
        let resuming = r["resuming"]
        p.resuming = resuming.value == nil ? false : resuming.bool()
        let rt = r["retry_type"]
        if let t = rt.string() {
            if t == "in_process" || t == "reschedule" {
                p.retryType = t
            } else {
                rt.fail(
                    "literal_error",
                    "Input should be 'in_process' or 'reschedule'",
                    ctx: .object([("expected", .string("'in_process' or 'reschedule'"))])
                )
            }
        }
        p.fillDeprecatedFields()
        return p
    }

    /// The reference's `populate_deprecated_fields`: `retries`/`retry_delay` from `max_retries`/
    /// `retry_delay_seconds` when unset or zero.
    mutating func fillDeprecatedFields() {
        if (retries ?? 0) == 0, maxRetries != 0 { retries = maxRetries }
        // (A delay past Int's range, which no client sends, is left unset rather than trapping.)
        if (retryDelay ?? 0) == 0, retryDelaySeconds != 0, let seconds = Int(exactly: retryDelaySeconds.rounded(.towardZero)) {
            retryDelay = seconds
        }
    }

    /// Writes the policy in the reference's field order.
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("max_retries")
        w.int(maxRetries)
        w.key("retry_delay_seconds")
        w.double(retryDelaySeconds)
        w.key("retries")
        if let retries { w.int(retries) } else { w.null() }
        w.key("retry_delay")
        if let retryDelay { w.int(retryDelay) } else { w.null() }
        w.key("pause_keys")
        w.strings(pauseKeys)
        w.key("resuming")
        if let resuming { w.bool(resuming) } else { w.null() }
        w.key("retry_type")
        w.string(retryType)
        w.endObject()
    }
}

/// A flow run as stored, with its current state denormalised onto the row.
public struct FlowRun: Sendable, Equatable {
    public var id: UUID
    public var created: Timestamp
    public var updated: Timestamp
    public var name: String
    public var flowId: UUID
    public var stateId: UUID?
    public var deploymentId: UUID?
    public var deploymentVersion: String?
    public var workQueueId: UUID?
    public var workQueueName: String?
    public var flowVersion: String?
    public var parameters: RawJSON
    public var idempotencyKey: String?
    public var context: RawJSON
    public var empiricalPolicy: RawJSON
    public var tags: [String]
    public var labels: RawJSON
    public var parentTaskRunId: UUID?
    public var stateType: StateType?
    public var stateName: String?
    public var stateTimestamp: Timestamp?
    public var runCount: Int
    public var expectedStartTime: Timestamp?
    public var nextScheduledStartTime: Timestamp?
    public var startTime: Timestamp?
    public var endTime: Timestamp?
    public var totalRunTime: Double
    public var autoScheduled: Bool
    public var infrastructureDocumentId: UUID?
    public var infrastructurePid: String?
    public var createdBy: RawJSON?
    public var workPoolId: UUID?
    public var workPoolName: String?
    /// The full current state as stored JSON (`State` shape), or nil for a run without state.
    public var state: RawJSON?
    /// Null for runs created with an idempotency key and no job variables, as the reference stores them.
    public var jobVariables: RawJSON?

    /// A run with every field given.
    public init(
        id: UUID,
        created: Timestamp,
        updated: Timestamp,
        name: String,
        flowId: UUID,
        stateId: UUID?,
        deploymentId: UUID?,
        deploymentVersion: String?,
        workQueueId: UUID?,
        workQueueName: String?,
        flowVersion: String?,
        parameters: RawJSON,
        idempotencyKey: String?,
        context: RawJSON,
        empiricalPolicy: RawJSON,
        tags: [String],
        labels: RawJSON,
        parentTaskRunId: UUID?,
        stateType: StateType?,
        stateName: String?,
        stateTimestamp: Timestamp?,
        runCount: Int,
        expectedStartTime: Timestamp?,
        nextScheduledStartTime: Timestamp?,
        startTime: Timestamp?,
        endTime: Timestamp?,
        totalRunTime: Double,
        autoScheduled: Bool,
        infrastructureDocumentId: UUID?,
        infrastructurePid: String?,
        createdBy: RawJSON?,
        workPoolId: UUID?,
        workPoolName: String?,
        state: RawJSON?,
        jobVariables: RawJSON?
    ) {
        self.id = id
        self.created = created
        self.updated = updated
        self.name = name
        self.flowId = flowId
        self.stateId = stateId
        self.deploymentId = deploymentId
        self.deploymentVersion = deploymentVersion
        self.workQueueId = workQueueId
        self.workQueueName = workQueueName
        self.flowVersion = flowVersion
        self.parameters = parameters
        self.idempotencyKey = idempotencyKey
        self.context = context
        self.empiricalPolicy = empiricalPolicy
        self.tags = tags
        self.labels = labels
        self.parentTaskRunId = parentTaskRunId
        self.stateType = stateType
        self.stateName = stateName
        self.stateTimestamp = stateTimestamp
        self.runCount = runCount
        self.expectedStartTime = expectedStartTime
        self.nextScheduledStartTime = nextScheduledStartTime
        self.startTime = startTime
        self.endTime = endTime
        self.totalRunTime = totalRunTime
        self.autoScheduled = autoScheduled
        self.infrastructureDocumentId = infrastructureDocumentId
        self.infrastructurePid = infrastructurePid
        self.createdBy = createdBy
        self.workPoolId = workPoolId
        self.workPoolName = workPoolName
        self.state = state
        self.jobVariables = jobVariables
    }

    /// `estimated_run_time`: the stored total plus the time in the current RUNNING state.
    public func estimatedRunTime(now: Timestamp) -> Double {
        RunTiming.estimatedRunTime(stateType: stateType, stateTimestamp: stateTimestamp, totalRunTime: totalRunTime, now: now)
    }

    /// `estimated_start_time_delta`: lateness against the expected start.
    public func estimatedStartTimeDelta(now: Timestamp) -> Double {
        RunTiming.estimatedStartTimeDelta(startTime: startTime, expectedStartTime: expectedStartTime, stateType: stateType, now: now)
    }

    /// A Read Flow Runs answer: the runs as a JSON array, estimates computed at one `now`.
    public static func jsonArray(_ runs: [FlowRun], now: Timestamp = .now()) -> [UInt8] {
        var w = JSONWriter(capacity: 2048 * max(1, runs.count))
        w.beginArray()
        for run in runs { run.write(to: &w, now: now) }
        w.endArray()
        return w.bytes
    }

    /// Writes the reference's `FlowRunResponse`, computing the estimates at `now`.
    public func write(to w: inout JSONWriter, now: Timestamp) { write(to: &w, now: now, core: false) }

    /// Writes the response, or with `core` the reference's core `FlowRun` a worker's poll answers
    /// (no pool id or name; the queue id after `created_by`).
    public func write(to w: inout JSONWriter, now: Timestamp, core: Bool) {
        w.beginResource(id: id, created: created, updated: updated)
        w.key("name")
        w.string(name)
        w.key("flow_id")
        w.uuid(flowId)
        w.key("state_id")
        w.uuid(stateId)
        w.key("deployment_id")
        w.uuid(deploymentId)
        w.key("deployment_version")
        w.string(deploymentVersion)
        if !core {
            w.key("work_queue_id")
            w.uuid(workQueueId)
        }
        w.key("work_queue_name")
        w.string(workQueueName)
        w.key("flow_version")
        w.string(flowVersion)
        w.key("parameters")
        parameters.write(to: &w)
        w.key("idempotency_key")
        w.string(idempotencyKey)
        w.key("context")
        context.write(to: &w)
        w.key("empirical_policy")
        empiricalPolicy.write(to: &w)
        w.key("tags")
        w.strings(tags)
        w.key("labels")
        labels.write(to: &w)
        w.key("parent_task_run_id")
        w.uuid(parentTaskRunId)
        w.key("state_type")
        w.string(stateType?.rawValue)
        w.key("state_name")
        w.string(stateName)
        w.key("run_count")
        w.int(runCount)
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
        w.double(estimatedRunTime(now: now))
        w.key("estimated_start_time_delta")
        w.double(estimatedStartTimeDelta(now: now))
        w.key("auto_scheduled")
        w.bool(autoScheduled)
        w.key("infrastructure_document_id")
        w.uuid(infrastructureDocumentId)
        w.key("infrastructure_pid")
        w.string(infrastructurePid)
        w.key("created_by")
        w.raw(createdBy)
        if core {
            w.key("work_queue_id")
            w.uuid(workQueueId)
        } else {
            w.key("work_pool_id")
            w.uuid(workPoolId)
            w.key("work_pool_name")
            w.string(workPoolName)
        }
        w.key("state")
        w.raw(state)
        w.key("job_variables")
        w.raw(jobVariables)
        w.endObject()
    }
}

/// The read-time estimates shared by flow runs and task runs.
public enum RunTiming {
    /// Total run time plus the time spent so far in a current RUNNING state.
    public static func estimatedRunTime(stateType: StateType?, stateTimestamp: Timestamp?, totalRunTime: Double, now: Timestamp) -> Double {
        if stateType == .RUNNING, let ts = stateTimestamp { return totalRunTime + now.secondsSince(ts) }
        return totalRunTime
    }

    /// How late the run started, or is so far when it has not started and is not finished.
    public static func estimatedStartTimeDelta(startTime: Timestamp?, expectedStartTime: Timestamp?, stateType: StateType?, now: Timestamp) -> Double
    {
        if let start = startTime, let expected = expectedStartTime, start > expected { return start.secondsSince(expected) }
        if startTime == nil, let expected = expectedStartTime, expected < now, !(stateType?.isFinal ?? false) {
            return now.secondsSince(expected)
        }
        return 0
    }
}

/// The fields of `FlowRunCreate` and `DeploymentFlowRunCreate` Weir acts on.
public struct FlowRunCreate: Sendable {
    public var state: StateCreate?
    public var name: String?
    public var flowId: UUID?
    public var flowVersion: String?
    public var parameters: JSONValue = .emptyObject
    public var context: JSONValue = .emptyObject
    public var parentTaskRunId: UUID?
    public var infrastructureDocumentId: UUID?
    public var empiricalPolicy = FlowRunPolicy()
    public var tags: [String] = []
    public var labels: JSONValue = .emptyObject
    public var idempotencyKey: String?
    public var workPoolName: String?
    public var workQueueName: String?
    public var jobVariables: JSONValue?
    public var deploymentId: UUID?
    public var enforceParameterSchema: Bool?

    /// An empty request.
    public init() {}

    /// Reads `POST /flow_runs/` (`forDeployment: false`) or `POST /deployments/{id}/create_flow_run`.
    public static func read(_ field: JSONField, forDeployment: Bool) -> FlowRunCreate? {
        let known: Set<String> =
            forDeployment
            ? [
                "state", "name", "parameters", "enforce_parameter_schema", "context", "infrastructure_document_id", "empirical_policy", "tags",
                "idempotency_key", "labels", "parent_task_run_id", "work_queue_name", "job_variables",
            ]
            : [
                "state", "name", "flow_id", "flow_version", "parameters", "context", "parent_task_run_id", "infrastructure_document_id",
                "empirical_policy", "tags", "labels", "idempotency_key", "work_pool_name", "work_queue_name", "job_variables", "deployment_id",
            ]
        guard let r = field.model(known: known) else { return nil }
        var c = FlowRunCreate()
        if !r["state"].isAbsentOrNull { c.state = StateCreate.read(r["state"]) }
        c.name = r["name"].isAbsentOrNull ? nil : r["name"].string()
        if !forDeployment {
            c.flowId = r.required("flow_id")?.uuid()
            c.flowVersion = r["flow_version"].string()
            c.workPoolName = r["work_pool_name"].string()
            c.deploymentId = r["deployment_id"].uuid()
        } else {
            c.enforceParameterSchema = r["enforce_parameter_schema"].bool()
        }
        c.parameters = r["parameters"].object() ?? .emptyObject
        c.context = r["context"].object() ?? .emptyObject
        c.parentTaskRunId = r["parent_task_run_id"].uuid()
        c.infrastructureDocumentId = r["infrastructure_document_id"].uuid()
        c.empiricalPolicy = FlowRunPolicy.read(r["empirical_policy"]) ?? FlowRunPolicy()
        c.tags = r["tags"].tags() ?? []
        c.labels = r["labels"].labels() ?? .emptyObject
        c.idempotencyKey = r["idempotency_key"].string()
        c.workQueueName = r["work_queue_name"].string()
        let jv = r["job_variables"]
        if !jv.isAbsentOrNull { c.jobVariables = jv.object() }
        guard field.context.issues.isEmpty else { return nil }
        return c
    }
}

/// `POST /flow_runs/{id}/set_state` body.
public struct SetStateRequest: Sendable {
    public var state: StateCreate
    public var force: Bool

    /// A proposal, possibly forced.
    public init(state: StateCreate, force: Bool = false) {
        self.state = state
        self.force = force
    }

    /// Reads the body: `state` required, `force` optional. The reference takes these as body
    /// parameters, so unknown top-level keys are ignored.
    public static func read(_ body: JSONField) -> SetStateRequest? {
        guard let r = body.model(forbidExtra: false, known: []) else { return nil }
        let state = r.required("state").flatMap { StateCreate.read($0) }
        let force = r["force"].isAbsentOrNull ? false : (r["force"].bool() ?? false)
        guard let state, body.context.issues.isEmpty else { return nil }
        return SetStateRequest(state: state, force: force)
    }
}
