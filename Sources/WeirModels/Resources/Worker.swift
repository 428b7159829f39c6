import Foundation

/// Whether a worker is heartbeating (`WorkerStatus`).
public enum WorkerStatus: String, Sendable, CaseIterable {
    case ONLINE, OFFLINE
}

/// A worker process of a work pool, known from its heartbeats.
public struct Worker: Sendable, Equatable {
    public var id: UUID
    public var created: Timestamp
    public var updated: Timestamp
    public var name: String
    public var workPoolId: UUID
    public var lastHeartbeatTime: Timestamp
    public var heartbeatIntervalSeconds: Int?
    public var status: WorkerStatus

    /// A worker with every field given.
    public init(
        id: UUID,
        created: Timestamp,
        updated: Timestamp,
        name: String,
        workPoolId: UUID,
        lastHeartbeatTime: Timestamp,
        heartbeatIntervalSeconds: Int?,
        status: WorkerStatus
    ) {
        self.id = id
        self.created = created
        self.updated = updated
        self.name = name
        self.workPoolId = workPoolId
        self.lastHeartbeatTime = lastHeartbeatTime
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.status = status
    }

    /// The interval the reference assumes for a worker that did not say (`DEFAULT_HEARTBEAT_INTERVAL_SECONDS`).
    public static let defaultHeartbeatIntervalSeconds = 30
    /// How many missed intervals make a worker offline (`INACTIVITY_HEARTBEAT_MULTIPLE`).
    public static let inactivityHeartbeatMultiple = 3

    /// The status the reference answers: ONLINE while its last heartbeat is within three intervals
    /// of `now`, the stored status otherwise (the foreman marks it OFFLINE).
    public func answeredStatus(now: Timestamp) -> WorkerStatus {
        let interval = Int64(heartbeatIntervalSeconds ?? Self.defaultHeartbeatIntervalSeconds) * Int64(Self.inactivityHeartbeatMultiple)
        let horizon = now.microseconds - interval * 1_000_000
        return lastHeartbeatTime.microseconds > horizon ? .ONLINE : status
    }
}

/// A worker as `POST /work_pools/{name}/workers/filter` answers it (`WorkerResponse`).
public struct WorkerResponse: Sendable, JSONWritable {
    public var worker: Worker
    public var now: Timestamp

    public init(_ worker: Worker, now: Timestamp) {
        self.worker = worker
        self.now = now
    }

    public func write(to w: inout JSONWriter) {
        w.beginResource(id: worker.id, created: worker.created, updated: worker.updated)
        w.key("name")
        w.string(worker.name)
        w.key("work_pool_id")
        w.uuid(worker.workPoolId)
        w.key("last_heartbeat_time")
        w.date(worker.lastHeartbeatTime)
        w.key("heartbeat_interval_seconds")
        if let s = worker.heartbeatIntervalSeconds { w.int(s) } else { w.null() }
        w.key("status")
        w.string(worker.answeredStatus(now: now).rawValue)
        w.endObject()
    }
}

/// `POST /work_pools/{name}/workers/heartbeat` body.
public struct WorkerHeartbeat: Sendable, Equatable {
    public var name: String
    public var heartbeatIntervalSeconds: Int?

    /// Reads the body: `name` required, `heartbeat_interval_seconds` optional; other keys ignored
    /// as the reference's embedded body parameters ignore them.
    public static func read(_ body: JSONValue?) throws -> WorkerHeartbeat {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: ["name"])
        let name = r.required("name")?.string()
        let interval = r["heartbeat_interval_seconds"].isAbsentOrNull ? nil : r["heartbeat_interval_seconds"].int()
        try context.check()
        return WorkerHeartbeat(name: name ?? "", heartbeatIntervalSeconds: interval)
    }
}

/// `POST /work_pools/{name}/get_scheduled_flow_runs` body.
public struct WorkerPollQuery: Sendable, Equatable {
    public var workQueueNames: [String] = []
    public var scheduledBefore: Timestamp?
    public var scheduledAfter: Timestamp?
    public var limit: Int

    /// Validates the body (every key optional; `limit` as the reference's `LimitBody`).
    public static func read(_ body: JSONValue?, defaultLimit: Int) throws -> WorkerPollQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: ["work_queue_names", "scheduled_before", "scheduled_after", "limit"])
        var q = WorkerPollQuery(limit: defaultLimit)
        q.workQueueNames = r["work_queue_names"].isAbsentOrNull ? [] : (r["work_queue_names"].strings() ?? [])
        q.scheduledBefore = r["scheduled_before"].isAbsentOrNull ? nil : r["scheduled_before"].timestamp()
        q.scheduledAfter = r["scheduled_after"].isAbsentOrNull ? nil : r["scheduled_after"].timestamp()
        let (paging, problem) = Paging.read(r, defaultLimit: defaultLimit)
        try context.check()
        if let problem { throw problem }
        q.limit = paging.limit
        return q
    }
}

/// `POST /deployments/get_scheduled_flow_runs` body: the runner's poll.
public struct DeploymentPollQuery: Sendable, Equatable {
    public var deploymentIds: [UUID]
    public var scheduledBefore: Timestamp?
    public var limit: Int

    /// Validates the body: `deployment_ids` required.
    public static func read(_ body: JSONValue?, defaultLimit: Int) throws -> DeploymentPollQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: ["deployment_ids", "scheduled_before", "limit"])
        let ids = r.required("deployment_ids")?.uuids()
        let before = r["scheduled_before"].isAbsentOrNull ? nil : r["scheduled_before"].timestamp()
        let (paging, problem) = Paging.read(r, defaultLimit: defaultLimit)
        try context.check()
        if let problem { throw problem }
        return DeploymentPollQuery(deploymentIds: ids ?? [], scheduledBefore: before, limit: paging.limit)
    }

    /// The Read Flow Runs query the reference answers the poll with: the deployments' runs in a
    /// SCHEDULED state due by `scheduled_before`, soonest first.
    public var flowRunsQuery: ReadFlowRunsQuery {
        var parts: [Condition] = [.in(.runStateType, [.string(StateType.SCHEDULED.rawValue)])]
        if let scheduledBefore { parts.append(.lessOrEqual(.runNextScheduledStartTime, .timestamp(scheduledBefore))) }
        parts.append(.exists(.runDeployment, .in(.deploymentId, deploymentIds.map(FilterValue.uuid))))
        return ReadFlowRunsQuery(
            filter: FlowRunFilterSet(condition: .all(parts)),
            sort: .NEXT_SCHEDULED_START_TIME_ASC,
            paging: Paging(limit: limit, offset: 0)
        )
    }
}

/// One run a worker's poll returns (`WorkerFlowRunResponse`).
public struct WorkerFlowRun: Sendable, JSONWritable {
    public var workPoolId: UUID
    public var workQueueId: UUID
    public var flowRun: FlowRun
    public var now: Timestamp

    public init(workPoolId: UUID, workQueueId: UUID, flowRun: FlowRun, now: Timestamp) {
        self.workPoolId = workPoolId
        self.workQueueId = workQueueId
        self.flowRun = flowRun
        self.now = now
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("work_pool_id")
        w.uuid(workPoolId)
        w.key("work_queue_id")
        w.uuid(workQueueId)
        w.key("flow_run")
        flowRun.write(to: &w, now: now, core: true)
        w.endObject()
    }
}
