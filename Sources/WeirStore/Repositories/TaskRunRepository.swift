import Foundation
import SQLKit
import WeirModels
import WeirOrchestration

/// Task runs: creation (idempotent on flow run, task key and dynamic key), lookups, state changes.
public struct TaskRunRepository: Sendable {
    let backend: any StoreBackend

    static func decode(_ r: any SQLRow) throws -> TaskRun {
        TaskRun(
            id: try r.uuid("id"),
            created: try r.timestamp("created"),
            updated: try r.timestamp("updated"),
            name: try r.string("name"),
            flowRunId: try r.optUUID("flow_run_id"),
            taskKey: try r.string("task_key"),
            dynamicKey: try r.string("dynamic_key"),
            cacheKey: try r.optString("cache_key"),
            cacheExpiration: try r.optTimestamp("cache_expiration"),
            taskVersion: try r.optString("task_version"),
            empiricalPolicy: try r.json("empirical_policy"),
            tags: try r.tags("tags"),
            labels: try r.json("labels"),
            stateId: try r.optUUID("state_id"),
            taskInputs: try r.json("task_inputs"),
            stateType: try r.stateType("state_type"),
            stateName: try r.optString("state_name"),
            stateTimestamp: try r.optTimestamp("state_timestamp"),
            runCount: try r.int("run_count"),
            flowRunRunCount: try r.int("flow_run_run_count"),
            expectedStartTime: try r.optTimestamp("expected_start_time"),
            nextScheduledStartTime: try r.optTimestamp("next_scheduled_start_time"),
            startTime: try r.optTimestamp("start_time"),
            endTime: try r.optTimestamp("end_time"),
            totalRunTime: try r.double("total_run_time"),
            state: try r.optJSON("state")
        )
    }

    static func find(_ db: any SQLDatabase, _ condition: SQLQueryString) async throws -> TaskRun? {
        try await db.raw("SELECT * FROM task_run WHERE \(condition)").first().map(decode)
    }

    /// The task run with this id.
    public func get(_ id: UUID) async throws -> TaskRun? {
        try await backend.read { db in try await Self.find(db, "id = \(bind: id.lowercased)") }
    }

    /// Creates a task run, or returns the existing one with the same flow run, task key and dynamic key.
    public func create(_ c: TaskRunCreate, now: Timestamp = .now()) async throws -> (TaskRun, created: Bool) {
        try await backend.write { db in
            let match: SQLQueryString = c.flowRunId.map { "flow_run_id = \(bind: $0.lowercased)" } ?? "flow_run_id IS NULL"
            if let existing = try await Self.find(db, "\(match) AND task_key = \(bind: c.taskKey) AND dynamic_key = \(bind: c.dynamicKey)") {
                return (existing, false)
            }
            var labels: [JSONValue] = []
            if let runId = c.flowRunId {
                guard let run = try await db.raw("SELECT labels FROM flow_run WHERE id = \(bind: runId.lowercased)").first() else {
                    throw StoreError.integrity
                }
                labels.append(try run.jsonValue("labels"))
                labels.append(.object([("prefect.flow-run.id", .string(runId.lowercased))]))
            }
            labels.append(c.labels)
            let id = c.id ?? UUID()
            var cols = Columns()
            cols.set("id", id.lowercased)
            cols.set("created", now.microseconds)
            cols.set("updated", now.microseconds)
            cols.set("name", c.name)
            cols.set("flow_run_id", c.flowRunId.stored)
            cols.set("task_key", c.taskKey)
            cols.set("dynamic_key", c.dynamicKey)
            cols.set("cache_key", c.cacheKey)
            cols.set("cache_expiration", c.cacheExpiration.stored)
            cols.set("task_version", c.taskVersion)
            cols.set("empirical_policy", c.empiricalPolicy.jsonText)
            cols.set("tags", tagsJSON(c.tags))
            cols.set("labels", JSONObjectBuilder.merge(labels).jsonText)
            cols.set("task_inputs", c.taskInputs.jsonText)
            try await mapIntegrity { try await db.raw(cols.insert(into: "task_run")).run() }
            _ = try await RunStates.propose(db, kind: .task, id: id, proposal: c.state ?? StateCreate(type: .PENDING), force: true, now: now)
            guard let run = try await Self.find(db, "id = \(bind: id.lowercased)") else { throw StoreError.integrity }
            return (run, true)
        }
    }

    /// Deletes a task run with its states; false when it does not exist.
    public func delete(_ id: UUID) async throws -> Bool {
        try await backend.write { db in
            guard try await db.raw("SELECT 1 FROM task_run WHERE id = \(bind: id.lowercased)").first() != nil else { return false }
            try await db.raw("DELETE FROM task_run WHERE id = \(bind: id.lowercased)").run()
            return true
        }
    }

    /// Proposes a state (`POST /task_runs/{id}/set_state`); nil when the run does not exist. The
    /// state is stamped with the clock read once the run is locked (unless `now` is given), so a
    /// run's states are stamped in the order they are written.
    public func setState(_ id: UUID, _ request: SetStateRequest, now: Timestamp? = nil) async throws -> OrchestrationResult? {
        try await backend.write(locking: true) { db in
            try await RunStates.propose(db, kind: .task, id: id, proposal: request.state, force: request.force, now: now)
        }
    }
}
