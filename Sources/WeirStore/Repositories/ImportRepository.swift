import Foundation
import SQLKit
import WeirModels
import WeirOrchestration

/// Bulk loading of flow runs and task runs exported from a Prefect server (`weir import`): each
/// run is written as it was, with its current state as its history, in one transaction per batch.
/// A run whose id already exists is skipped, so an interrupted import can simply be run again.
/// Imported runs emit no events: they are history, not news.
public struct ImportRepository: Sendable {
    let backend: any StoreBackend

    /// What a batch did.
    public struct Outcome: Sendable, Equatable {
        public var flowRuns = 0
        public var taskRuns = 0
        public var skipped = 0

        public init(flowRuns: Int = 0, taskRuns: Int = 0, skipped: Int = 0) {
            self.flowRuns = flowRuns
            self.taskRuns = taskRuns
            self.skipped = skipped
        }
    }

    /// Writes a batch in one transaction; a reference to a flow, pool, queue or flow run that does
    /// not exist fails the whole batch with a message naming the problem. Rows go in as multi-row
    /// INSERTs of up to 100 runs (one database round trip each, not one per row).
    public func load(_ records: [ImportRecord], now: Timestamp = .now()) async throws -> Outcome {
        try await backend.write { db in
            var outcome = Outcome()
            var queues: [String: UUID] = [:]
            var start = 0
            while start < records.count {
                // Flow runs before their task runs: a chunk holds runs of one kind, in file order.
                let isTask: Bool
                if case .taskRun = records[start] { isTask = true } else { isTask = false }
                var chunk: [ImportedRun] = []
                var end = start
                scan: while end < records.count, chunk.count < 100 {
                    switch (records[end], isTask) {
                    case (.flowRun(let r), false), (.taskRun(let r), true): chunk.append(r)
                    default: break scan
                    }
                    end += 1
                }
                if isTask {
                    let inserted = try await Self.insertTaskRuns(db, chunk, now: now)
                    outcome.taskRuns += inserted
                    outcome.skipped += chunk.count - inserted
                } else {
                    var queueIds: [UUID?] = []
                    for run in chunk {
                        guard let pool = run.workPoolName else {
                            queueIds.append(nil)
                            continue
                        }
                        let key = pool + "\u{0}" + (run.workQueueName ?? "")
                        if queues[key] == nil {
                            do {
                                queues[key] = try await WorkPoolRepository.resolveQueue(db, pool: pool, queue: run.workQueueName)
                            } catch {
                                throw StoreError.badRequest(
                                    "flow run \(run.id.lowercased): work pool \(pool) or its queue \(run.workQueueName ?? "(default)") does not exist"
                                )
                            }
                        }
                        queueIds.append(queues[key])
                    }
                    let inserted = try await Self.insertFlowRuns(db, chunk, queueIds: queueIds, now: now)
                    outcome.flowRuns += inserted
                    outcome.skipped += chunk.count - inserted
                }
                start = end
            }
            return outcome
        }
    }

    /// Refreshes the query planner's table statistics, which a bulk load makes stale.
    public func analyze() async throws {
        try await backend.write { db in try await db.raw("ANALYZE").run() }
    }

    /// Inserts flow runs and their states; returns how many were new (ids not yet present).
    static func insertFlowRuns(_ db: any SQLDatabase, _ runs: [ImportedRun], queueIds: [UUID?], now: Timestamp) async throws -> Int {
        var rows: [Columns] = []
        for (run, queueId) in zip(runs, queueIds) {
            guard let flowId = run.flowId else { throw StoreError.badRequest("flow run \(run.id.lowercased): no flow_id") }
            var cols = common(run, now: now)
            cols.set("flow_id", flowId.lowercased)
            cols.set("deployment_id", run.deploymentId.stored)
            cols.set("deployment_version", run.deploymentVersion)
            cols.set("work_queue_id", queueId.stored)
            cols.set("work_queue_name", run.workQueueName)
            cols.set("flow_version", run.version)
            cols.set("parameters", run.parameters.jsonText)
            cols.set("idempotency_key", run.idempotencyKey)
            cols.set("context", run.context.jsonText)
            cols.set("parent_task_run_id", run.parentTaskRunId.stored)
            cols.set("auto_scheduled", run.autoScheduled ? 1 : 0)
            cols.set("created_by", run.createdBy?.jsonText)
            cols.set("job_variables", run.jobVariables?.jsonText)
            rows.append(cols)
        }
        do {
            return try await insert(db, runs, rows, kind: .flow)
        } catch {
            if isConstraintViolation(error) {
                throw StoreError.badRequest(
                    "flow runs \(runs.first!.id.lowercased)...\(runs.last!.id.lowercased): a flow they name does not exist, or an idempotency key is taken"
                )
            }
            throw error
        }
    }

    /// Inserts task runs and their states; returns how many were new.
    static func insertTaskRuns(_ db: any SQLDatabase, _ runs: [ImportedRun], now: Timestamp) async throws -> Int {
        let rows = runs.map { run -> Columns in
            var cols = common(run, now: now)
            cols.set("flow_run_id", run.flowRunId.stored)
            cols.set("task_key", run.taskKey ?? "")
            cols.set("dynamic_key", run.dynamicKey)
            cols.set("cache_key", run.cacheKey)
            cols.set("cache_expiration", run.cacheExpiration.stored)
            cols.set("task_version", run.version)
            cols.set("task_inputs", run.taskInputs.jsonText)
            cols.set("flow_run_run_count", run.flowRunRunCount)
            return cols
        }
        do {
            return try await insert(db, runs, rows, kind: .task)
        } catch {
            if isConstraintViolation(error) {
                throw StoreError.badRequest(
                    "task runs \(runs.first!.id.lowercased)...\(runs.last!.id.lowercased): a flow run they name does not exist, or a task key is taken"
                )
            }
            throw error
        }
    }

    /// One multi-row INSERT of the runs (existing ids skipped), then their states.
    private static func insert(_ db: any SQLDatabase, _ runs: [ImportedRun], _ rows: [Columns], kind: RunKind) async throws -> Int {
        let t = RunStates.tables(kind)
        let inserted = Set(
            try await db.raw(Columns.insert(rows, into: t.run, suffix: " ON CONFLICT (id) DO NOTHING RETURNING id")).all().map { try $0.string("id") }
        )
        let states = runs.filter { inserted.contains($0.id.lowercased) }.compactMap { run in run.state.map { (run.id, $0) } }
        if !states.isEmpty {
            let stateRows = states.map { RunStates.stateColumns(kind: kind, runId: $0.0, state: $0.1) }
            try await db.raw(Columns.insert(stateRows, into: t.state, suffix: " ON CONFLICT (id) DO NOTHING")).run()
        }
        return inserted.count
    }

    /// The columns flow runs and task runs share, with the denormalised current state.
    static func common(_ run: ImportedRun, now: Timestamp) -> Columns {
        var cols = Columns()
        cols.set("id", run.id.lowercased)
        cols.set("created", (run.created ?? now).microseconds)
        cols.set("updated", (run.updated ?? run.created ?? now).microseconds)
        cols.set("name", run.name ?? NameGenerator.slug())
        cols.set("empirical_policy", run.empiricalPolicy?.jsonText ?? "{}")
        cols.set("tags", tagsJSON(run.tags))
        cols.set("labels", run.labels.jsonText)
        cols.set("state_id", run.state?.id.lowercased)
        cols.set("state_type", run.state?.type.rawValue)
        cols.set("state_name", run.state?.name)
        cols.set("state_timestamp", run.state?.timestamp.microseconds)
        cols.set("state", run.state.map { String(decoding: $0.jsonBytes(), as: UTF8.self) })
        cols.set("run_count", run.runCount)
        cols.set("expected_start_time", run.expectedStartTime.stored)
        cols.set("next_scheduled_start_time", run.nextScheduledStartTime.stored)
        cols.set("start_time", run.startTime.stored)
        cols.set("end_time", run.endTime.stored)
        cols.set("total_run_time", run.totalRunTime)
        return cols
    }
}
