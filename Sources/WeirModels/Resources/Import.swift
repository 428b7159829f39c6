import Foundation

/// One line of a `weir import` file: a flow run or a task run in the shape the API returns them
/// (`POST /flow_runs/filter`, `POST /task_runs/filter`), so runs exported from any Prefect server
/// page by page can be loaded as they are. A line with a `task_key` is a task run.
public enum ImportRecord: Sendable {
    case flowRun(ImportedRun)
    case taskRun(ImportedRun)

    /// Reads a line; the failure lists every invalid field, with its location.
    public static func read(_ json: JSONValue) throws(ValidationFailure) -> ImportRecord {
        let ctx = ValidationContext()
        guard case .object = json else {
            throw ValidationFailure([ValidationIssue(type: "model_type", loc: [], msg: "Input should be an object", input: json)])
        }
        let r = ObjectReader(value: json, loc: [], context: ctx, forbidExtra: false, known: [])
        let isTask = !r["task_key"].isAbsentOrNull
        var run = ImportedRun(id: r.required("id")?.uuid() ?? UUID())
        run.created = r["created"].timestamp()
        run.updated = r["updated"].timestamp()
        run.name = r["name"].string()
        run.tags = r["tags"].strings() ?? []
        run.labels = r["labels"].object() ?? .emptyObject
        run.empiricalPolicy = r["empirical_policy"].object()
        run.state = r["state"].isAbsentOrNull ? nil : r["state"].model(forbidExtra: false, known: []).flatMap(Self.state)
        run.runCount = r["run_count"].int() ?? 0
        run.expectedStartTime = r["expected_start_time"].timestamp()
        run.nextScheduledStartTime = r["next_scheduled_start_time"].timestamp()
        run.startTime = r["start_time"].timestamp()
        run.endTime = r["end_time"].timestamp()
        run.totalRunTime = r["total_run_time"].double() ?? 0
        if isTask {
            run.flowRunId = r["flow_run_id"].uuid()
            run.taskKey = r["task_key"].string()
            run.dynamicKey = r["dynamic_key"].string() ?? "0"
            run.cacheKey = r["cache_key"].string()
            run.cacheExpiration = r["cache_expiration"].timestamp()
            run.version = r["task_version"].string()
            run.taskInputs = r["task_inputs"].object() ?? .emptyObject
            run.flowRunRunCount = r["flow_run_run_count"].int() ?? 0
        } else {
            run.flowId = r.required("flow_id")?.uuid()
            run.deploymentId = r["deployment_id"].uuid()
            run.deploymentVersion = r["deployment_version"].string()
            run.workPoolName = r["work_pool_name"].string()
            run.workQueueName = r["work_queue_name"].string()
            run.version = r["flow_version"].string()
            run.parameters = r["parameters"].object() ?? .emptyObject
            run.idempotencyKey = r["idempotency_key"].string()
            run.context = r["context"].object() ?? .emptyObject
            run.parentTaskRunId = r["parent_task_run_id"].uuid()
            run.autoScheduled = r["auto_scheduled"].bool() ?? false
            run.createdBy = r["created_by"].object()
            run.jobVariables = r["job_variables"].object()
        }
        try ctx.check()
        return isTask ? .taskRun(run) : .flowRun(run)
    }

    private static func state(_ r: ObjectReader) -> State? {
        guard let type = r.required("type")?.enumeration(StateType.self) else { return nil }
        let details = r["state_details"].model(forbidExtra: false, known: []).map(StateDetails.init) ?? StateDetails()
        let data = r["data"].value.flatMap { $0 == .null ? nil : $0 }
        return State(
            id: r["id"].uuid() ?? UUID(),
            type: type,
            name: r["name"].string() ?? type.defaultName,
            timestamp: r["timestamp"].timestamp() ?? .now(),
            message: r["message"].string(),
            data: data,
            stateDetails: details
        )
    }
}

/// The fields of an imported flow run or task run (the ones that do not apply stay nil).
public struct ImportedRun: Sendable {
    public var id: UUID
    public var created: Timestamp?
    public var updated: Timestamp?
    public var name: String?
    public var tags: [String] = []
    public var labels: JSONValue = .emptyObject
    public var empiricalPolicy: JSONValue?
    public var state: State?
    public var runCount = 0
    public var expectedStartTime: Timestamp?
    public var nextScheduledStartTime: Timestamp?
    public var startTime: Timestamp?
    public var endTime: Timestamp?
    public var totalRunTime = 0.0
    /// `flow_version` of a flow run, `task_version` of a task run.
    public var version: String?
    // Flow runs.
    public var flowId: UUID?
    public var deploymentId: UUID?
    public var deploymentVersion: String?
    public var workPoolName: String?
    public var workQueueName: String?
    public var parameters: JSONValue = .emptyObject
    public var idempotencyKey: String?
    public var context: JSONValue = .emptyObject
    public var parentTaskRunId: UUID?
    public var autoScheduled = false
    public var createdBy: JSONValue?
    public var jobVariables: JSONValue?
    // Task runs.
    public var flowRunId: UUID?
    public var taskKey: String?
    public var dynamicKey = "0"
    public var cacheKey: String?
    public var cacheExpiration: Timestamp?
    public var taskInputs: JSONValue = .emptyObject
    public var flowRunRunCount = 0

    public init(id: UUID) { self.id = id }
}
