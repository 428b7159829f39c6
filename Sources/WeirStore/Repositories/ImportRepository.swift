import Foundation
import SQLKit
import WeirModels

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
    /// not exist fails the whole batch with a message naming the run.
    public func load(_ records: [ImportRecord], now: Timestamp = .now()) async throws -> Outcome {
        try await backend.write { db in
            var outcome = Outcome()
            var queues: [String: UUID] = [:]
            for record in records {
                switch record {
                case .flowRun(let run):
                    var queueId: UUID?
                    if let pool = run.workPoolName {
                        let key = pool + "\u{0}" + (run.workQueueName ?? "")
                        if let cached = queues[key] {
                            queueId = cached
                        } else {
                            do {
                                queueId = try await WorkPoolRepository.resolveQueue(db, pool: pool, queue: run.workQueueName)
                            } catch {
                                throw StoreError.badRequest("flow run \(run.id.lowercased): work pool \(pool) or its queue \(run.workQueueName ?? "(default)") does not exist")
                            }
                            queues[key] = queueId
                        }
                    }
                    if try await Self.insertFlowRun(db, run, queueId: queueId, now: now) { outcome.flowRuns += 1 } else { outcome.skipped += 1 }
                case .taskRun(let run):
                    if try await Self.insertTaskRun(db, run, now: now) { outcome.taskRuns += 1 } else { outcome.skipped += 1 }
                }
            }
            return outcome
        }
    }

    /// Inserts a flow run and its state; false when a run with its id exists.
    static func insertFlowRun(_ db: any SQLDatabase, _ run: ImportedRun, queueId: UUID?, now: Timestamp) async throws -> Bool {
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
        do {
            let inserted = try await db.raw(cols.insert(into: "flow_run", suffix: " ON CONFLICT (id) DO NOTHING RETURNING id")).first() != nil
            if inserted, let state = run.state { try await RunStates.insertStateRow(db, kind: .flow, runId: run.id, state: state, ignoreRepeat: true) }
            return inserted
        } catch {
            if isConstraintViolation(error) { throw StoreError.badRequest("flow run \(run.id.lowercased): flow \(flowId.lowercased) does not exist, or its idempotency key is taken") }
            throw error
        }
    }

    /// Inserts a task run and its state; false when a run with its id exists.
    static func insertTaskRun(_ db: any SQLDatabase, _ run: ImportedRun, now: Timestamp) async throws -> Bool {
        var cols = common(run, now: now)
        cols.set("flow_run_id", run.flowRunId.stored)
        cols.set("task_key", run.taskKey ?? "")
        cols.set("dynamic_key", run.dynamicKey)
        cols.set("cache_key", run.cacheKey)
        cols.set("cache_expiration", run.cacheExpiration.stored)
        cols.set("task_version", run.version)
        cols.set("task_inputs", run.taskInputs.jsonText)
        cols.set("flow_run_run_count", run.flowRunRunCount)
        do {
            let inserted = try await db.raw(cols.insert(into: "task_run", suffix: " ON CONFLICT (id) DO NOTHING RETURNING id")).first() != nil
            if inserted, let state = run.state { try await RunStates.insertStateRow(db, kind: .task, runId: run.id, state: state, ignoreRepeat: true) }
            return inserted
        } catch {
            if isConstraintViolation(error) { throw StoreError.badRequest("task run \(run.id.lowercased): flow run \(run.flowRunId?.lowercased ?? "-") does not exist, or its task key is taken") }
            throw error
        }
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
