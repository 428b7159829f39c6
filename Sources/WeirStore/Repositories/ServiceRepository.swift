import Foundation
import SQLKit
import WeirModels
import WeirOrchestration

/// The store side of the server's background services. Each pass runs under a database-wide lock
/// (PostgreSQL advisory lock), so with several replicas on one database a pass runs in one of them
/// at a time and any replica takes over when another stops.
public struct ServiceRepository: Sendable {
    let backend: any StoreBackend

    /// The advisory lock key of the late-runs pass.
    static let lateRunsLock: Int64 = 0x5745_4952_0101

    /// The outcome of one pass of the late-runs service.
    public enum LatePass: Sendable, Equatable {
        /// This process ran the pass and marked this many runs `Late`.
        case marked(Int)
        /// Another replica was running the pass.
        case skipped
    }

    /// `MarkLateRuns`: proposes `Late` (with `MarkLateRunsPolicy`) for up to `limit` flow runs still
    /// `Scheduled` whose next scheduled start is `afterSeconds` or more in the past.
    public func markLateRuns(now fixed: Timestamp? = nil, afterSeconds: Double = 15, limit: Int = 400) async throws -> LatePass {
        let marked = try await backend.writeExclusively(key: Self.lateRunsLock) { db -> Int in
            let now = fixed ?? .now()
            let cutoff = now.microseconds - Int64(afterSeconds * 1_000_000)
            let rows = try await db.raw(
                """
                SELECT id, next_scheduled_start_time FROM flow_run
                WHERE next_scheduled_start_time <= \(bind: cutoff) AND state_type = 'SCHEDULED' AND state_name = 'Scheduled'
                ORDER BY next_scheduled_start_time LIMIT \(bind: limit)
                """
            ).all()
            var count = 0
            for row in rows {
                var details = StateDetails()
                details.scheduledTime = try row.optTimestamp("next_scheduled_start_time")
                let late = StateCreate(type: .SCHEDULED, name: "Late", stateDetails: details)
                let result = try await RunStates.propose(
                    db,
                    kind: .flow,
                    id: row.uuid("id"),
                    proposal: late,
                    force: false,
                    now: fixed,
                    policy: Policies.markLate
                )
                if result?.wroteState == true { count += 1 }
            }
            return count
        }
        return marked.map(LatePass.marked) ?? .skipped
    }
}

/// The scheduler service's store side.
extension ServiceRepository {
    /// The advisory lock key of a scheduling pass over one deployment.
    static let schedulerLock: Int64 = 0x5745_4952_0102

    /// Deployments the scheduler looks at, in id order after `after`: not paused, with schedules,
    /// and (for the recent-deployments loop) updated since `updatedSince`.
    public func deploymentsToSchedule(after: UUID?, limit: Int, updatedSince: Timestamp?) async throws -> [UUID] {
        var sql: SQLQueryString = "SELECT id FROM deployment WHERE paused = 0 AND schedules != '[]'"
        if let after { sql = sql + " AND id > \(bind: after.lowercased)" }
        if let updatedSince { sql = sql + " AND updated >= \(bind: updatedSince.microseconds)" }
        sql = sql + " ORDER BY id LIMIT \(bind: limit)"
        let query = sql
        return try await backend.read { db in try await db.raw(query).all().map { try $0.uuid("id") } }
    }

    /// One scheduler pass over a deployment: when any active schedule needs runs
    /// (``Scheduling/needsRuns(futureRuns:lastStart:now:minRuns:minScheduledTime:)``), the runs of
    /// the window from `now` are made. The number made, or nil when another replica held the lock.
    public func scheduleDeployment(_ id: UUID, _ window: ScheduleWindow, now: Timestamp = .now()) async throws -> Int? {
        let createdById = backend.dialect.jsonText(SQLColumn("created_by"), field: "id")
        return try await backend.writeExclusively(key: Self.schedulerLock) { db -> Int in
            guard let row = try await db.raw("SELECT paused, schedules FROM deployment WHERE id = \(bind: id.lowercased)").first(),
                try !row.bool("paused"), case .array(let schedules) = try row.jsonValue("schedules")
            else { return 0 }
            var needed = false
            for s in schedules where s["active"] != .bool(false) {
                guard case .string(let scheduleId)? = s["id"], let spec = s["schedule"], let schedule = Schedule(stored: spec), schedule.isComputable
                else { continue }
                let stats = try await db.raw(
                    """
                    SELECT count(*) AS n, max(next_scheduled_start_time) AS last FROM flow_run
                    WHERE deployment_id = \(bind: id.lowercased) AND state_type = 'SCHEDULED' AND auto_scheduled = 1
                    AND next_scheduled_start_time >= \(bind: now.microseconds) AND \(createdById) = \(bind: scheduleId)
                    """
                ).first()
                let count = try stats?.int("n") ?? 0
                let last = try stats?.optTimestamp("last")
                if Scheduling.needsRuns(futureRuns: count, lastStart: last, now: now, minRuns: window.minRuns, minScheduledTime: window.minTime) {
                    needed = true
                    break
                }
            }
            guard needed else { return 0 }
            var w = window
            w.start = now
            w.end = now.adding(seconds: window.maxScheduledTime)
            return try await DeploymentRepository.scheduleRuns(db, id, w, now: now).count
        }
    }
}

/// The foreman's store side.
extension ServiceRepository {
    /// The advisory lock key of a foreman pass.
    static let foremanLock: Int64 = 0x5745_4952_0103

    /// What one foreman pass changed.
    public struct ForemanPass: Sendable, Equatable {
        public var workersOffline = 0
        public var poolsNotReady = 0
        public var deploymentsNotReady = 0
        public var queuesNotReady = 0
    }

    /// The reference's `monitor_worker_health`: workers whose last heartbeat is older than
    /// `inactivityMultiple` intervals (their own, or `fallbackInterval`) go OFFLINE; READY pools
    /// without an ONLINE worker, deployments and queues not polled within their timeouts become
    /// NOT_READY, each with its event. Nil when another replica ran the pass.
    public func foremanPass(
        inactivityMultiple: Int,
        fallbackInterval: Int,
        deploymentTimeout: Double,
        queueTimeout: Double,
        now: Timestamp = .now()
    ) async throws -> ForemanPass? {
        try await backend.writeExclusively(key: Self.foremanLock) { db -> ForemanPass in
            var pass = ForemanPass()
            let stale = try await db.raw(
                """
                SELECT id FROM worker WHERE status = 'ONLINE' AND last_heartbeat_time
                    < \(bind: now.microseconds) - coalesce(heartbeat_interval_seconds, \(bind: fallbackInterval)) * \(bind: inactivityMultiple) * 1000000
                """
            ).all().map { try $0.string("id") }
            if !stale.isEmpty {
                try await db.raw("UPDATE worker SET status = 'OFFLINE' WHERE id IN (\(SQLList(stale.map { SQLBind($0) })))").run()
                pass.workersOffline = stale.count
            }
            let pools = try await db.raw(
                """
                \(unsafeRaw: WorkPoolRepository.selectPool) WHERE status = 'READY'
                AND NOT EXISTS (SELECT 1 FROM worker WHERE worker.work_pool_id = work_pool.id AND worker.status = 'ONLINE')
                """
            ).all().map(WorkPoolRepository.decodePool)
            for pool in pools {
                try await db.raw(
                    "UPDATE work_pool SET status = 'NOT_READY', updated = \(bind: now.microseconds) WHERE id = \(bind: pool.id.lowercased)"
                ).run()
                try await StatusEvents.workPool(db, pool, status: "NOT_READY", now: now)
            }
            pass.poolsNotReady = pools.count
            let deploymentCutoff = now.adding(seconds: -deploymentTimeout).microseconds
            let deployments = try await db.raw(
                """
                SELECT deployment.id FROM deployment LEFT JOIN work_queue ON work_queue.id = deployment.work_queue_id
                WHERE deployment.status = 'READY' AND deployment.last_polled IS NOT NULL AND deployment.last_polled < \(bind: deploymentCutoff)
                AND (work_queue.last_polled IS NULL OR work_queue.last_polled < \(bind: deploymentCutoff))
                """
            ).all().map { try $0.uuid("id") }
            for id in deployments {
                try await db.raw("UPDATE deployment SET status = 'NOT_READY' WHERE id = \(bind: id.lowercased)").run()
                try await StatusEvents.deployment(db, id, ready: false, now: now)
            }
            pass.deploymentsNotReady = deployments.count
            let queueCutoff = now.adding(seconds: -queueTimeout).microseconds
            let queues = try await db.raw(
                """
                SELECT id FROM work_queue WHERE status = 'READY' AND last_polled IS NOT NULL AND last_polled < \(bind: queueCutoff)
                ORDER BY last_polled
                """
            ).all().map { try $0.uuid("id") }
            for id in queues {
                try await db.raw("UPDATE work_queue SET status = 'NOT_READY' WHERE id = \(bind: id.lowercased)").run()
                try await StatusEvents.workQueue(db, id, ready: false, now: now)
            }
            pass.queuesNotReady = queues.count
            return pass
        }
    }
}
