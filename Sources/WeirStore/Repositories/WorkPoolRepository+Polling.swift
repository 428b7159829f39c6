import Foundation
import SQLKit
import WeirModels

/// Polling: a worker asking a pool for its due runs, a runner asking for its deployments' runs,
/// and the readiness each poll records.
extension WorkPoolRepository {
    /// A worker's poll (`POST /work_pools/{name}/get_scheduled_flow_runs`): the reference's
    /// `get-runs-from-worker-queues` query (paused pools and queues give nothing; pool and queue
    /// concurrency limits count their PENDING and RUNNING runs; queues in priority order, then
    /// soonest first). The polled queues' `last_polled` is set (NOT_READY ones become READY), and
    /// their deployments become READY with `last_polled` set.
    public func scheduledRuns(pool: String, _ q: WorkerPollQuery, now: Timestamp = .now()) async throws -> [WorkerFlowRun] {
        try await backend.write { db in
            guard let p = try await Self.findPool(db, name: pool) else { throw Self.poolNotFound(pool) }
            var queues: [WorkQueue] = []
            if q.workQueueNames.isEmpty {
                queues = try await db.raw("\(unsafeRaw: Self.selectQueue) WHERE work_queue.work_pool_id = \(bind: p.id.lowercased)").all().map(
                    Self.decodeQueue
                )
            } else {
                for name in q.workQueueNames {
                    guard
                        let row = try await db.raw(
                            "\(unsafeRaw: Self.selectQueue) WHERE work_queue.work_pool_id = \(bind: p.id.lowercased) AND work_queue.name = \(bind: name)"
                        ).first()
                    else { throw Self.queueNotFound(pool, name) }
                    queues.append(try Self.decodeQueue(row))
                }
            }
            let runs = try await Self.dueRuns(db, pool: p.id, queues: q.workQueueNames.isEmpty ? nil : queues.map(\.id), q, dialect: backend.dialect)
            let ids = queues.map { SQLBind($0.id.lowercased) }
            if !ids.isEmpty {
                try await db.raw(
                    """
                    UPDATE work_queue SET last_polled = \(bind: now.microseconds), status = 'READY'
                    WHERE id IN (\(SQLList(ids)))
                    """
                ).run()
                for q in queues where q.status == "NOT_READY" { try await StatusEvents.workQueue(db, q.id, ready: true, now: now) }
                try await StatusEvents.markDeploymentsPolled(db, where: "work_queue_id IN (\(SQLList(ids)))", now: now)
            }
            var out: [WorkerFlowRun] = []
            for (poolId, queueId, runId) in runs {
                guard let run = try await FlowRunRepository.find(db, runId) else { continue }
                out.append(WorkerFlowRun(workPoolId: poolId, workQueueId: queueId, flowRun: run, now: now))
            }
            return out
        }
    }

    /// The ids of the runs a poll hands out, with their pool and queue, in the reference's order.
    static func dueRuns(
        _ db: any SQLDatabase,
        pool: UUID,
        queues: [UUID]?,
        _ q: WorkerPollQuery,
        dialect: StoreDialect
    ) async throws -> [(UUID, UUID, UUID)] {
        // The reference caps each pool and each queue at 1,000 runs per poll.
        let cap = 1000
        var runFilter: [SQLQueryString] = [
            "fr.state_type = 'SCHEDULED'",
            "(\(dialect.jsonText(SQLColumn("empirical_policy", table: "fr"), field: "retry_type")) IS NULL OR \(dialect.jsonText(SQLColumn("empirical_policy", table: "fr"), field: "retry_type")) != 'in_process')",
        ]
        if let after = q.scheduledAfter { runFilter.append("fr.next_scheduled_start_time >= \(bind: after.microseconds)") }
        if let before = q.scheduledBefore { runFilter.append("fr.next_scheduled_start_time <= \(bind: before.microseconds)") }
        var scope: SQLQueryString = "wp.id = \(bind: pool.lowercased)"
        if let queues { scope = "\(scope) AND wq.id IN (\(SQLList(queues.map { SQLBind($0.lowercased) })))" }
        let sql: SQLQueryString = """
            WITH worker_slots AS (
                SELECT wp.id, wp.concurrency_limit - count(fr.id) AS available_slots
                FROM work_pool wp JOIN work_queue wq ON wq.work_pool_id = wp.id
                LEFT JOIN flow_run fr ON wq.id = fr.work_queue_id AND fr.state_type IN ('RUNNING', 'PENDING')
                WHERE wp.is_paused = 0 AND wp.concurrency_limit IS NOT NULL
                GROUP BY wp.id, wp.concurrency_limit
            ),
            queue_slots AS (
                SELECT wq.id, wq.concurrency_limit - count(fr.id) AS available_slots
                FROM work_queue wq
                LEFT JOIN flow_run fr ON wq.id = fr.work_queue_id AND fr.state_type IN ('RUNNING', 'PENDING')
                WHERE wq.is_paused = 0 AND wq.concurrency_limit IS NOT NULL
                GROUP BY wq.id, wq.concurrency_limit
            ),
            scheduled AS (
                SELECT wp.id AS run_work_pool_id, wq.id AS run_work_queue_id, fr.id AS run_id,
                    fr.next_scheduled_start_time AS next_start, worker_slots.available_slots AS available_worker_slots,
                    ROW_NUMBER() OVER (PARTITION BY wp.id ORDER BY wq.priority ASC, fr.next_scheduled_start_time, fr.id) AS work_pool_rank
                FROM work_pool wp
                JOIN work_queue wq ON wq.work_pool_id = wp.id
                LEFT JOIN worker_slots ON wp.id = worker_slots.id
                LEFT JOIN queue_slots ON wq.id = queue_slots.id
                JOIN (
                    SELECT fr.id, fr.work_queue_id, fr.next_scheduled_start_time,
                        ROW_NUMBER() OVER (PARTITION BY fr.work_queue_id ORDER BY fr.next_scheduled_start_time, fr.id) AS work_queue_rank
                    FROM flow_run fr WHERE \(SQLList(runFilter, separator: SQLRaw(" AND ")))
                ) fr ON fr.work_queue_id = wq.id AND fr.work_queue_rank <= coalesce(queue_slots.available_slots, \(unsafeRaw: String(cap)))
                    AND fr.work_queue_rank <= \(unsafeRaw: String(cap))
                WHERE wp.is_paused = 0 AND wq.is_paused = 0 AND \(scope)
            )
            SELECT run_work_pool_id, run_work_queue_id, run_id FROM scheduled
            WHERE work_pool_rank <= coalesce(available_worker_slots, \(unsafeRaw: String(cap))) AND work_pool_rank <= \(unsafeRaw: String(cap))
            ORDER BY work_pool_rank ASC, next_start ASC
            LIMIT \(bind: q.limit)
            """
        return try await db.raw(sql).all().map { r in (try r.uuid("run_work_pool_id"), try r.uuid("run_work_queue_id"), try r.uuid("run_id")) }
    }
}

extension DeploymentRepository {
    /// A runner's poll (`POST /deployments/get_scheduled_flow_runs`): the Read Flow Runs answer
    /// for the poll's query; the deployments become READY with `last_polled` set.
    public func scheduledRuns(_ q: DeploymentPollQuery, now: Timestamp = .now()) async throws -> [FlowRun] {
        let runs = try await FlowRunRepository(backend: backend).filter(q.flowRunsQuery)
        if !q.deploymentIds.isEmpty {
            try await backend.write { db in
                try await StatusEvents.markDeploymentsPolled(
                    db,
                    where: "id IN (\(SQLList(q.deploymentIds.map { SQLBind($0.lowercased) })))",
                    now: now
                )
            }
        }
        return runs
    }
}
