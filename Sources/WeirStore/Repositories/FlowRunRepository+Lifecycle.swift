import Foundation
import SQLKit
import WeirModels
import WeirOrchestration

/// The rest of the flow run API: updates, labels, bulk operations, paging, history, lateness, resume.
extension FlowRunRepository {
    /// Applies a `FlowRunUpdate`; false when the run does not exist.
    public func update(_ id: UUID, _ patch: Patch, now: Timestamp = .now()) async throws -> Bool {
        try await backend.write { db in
            guard let row = try await db.raw("SELECT state_type, deployment_id FROM flow_run WHERE id = \(bind: id.lowercased)").first() else {
                return false
            }
            if let jv = patch.values["job_variables"], jv != .null {
                var deploymentExists = false
                if let deployment = try row.optUUID("deployment_id") {
                    deploymentExists = try await db.raw("SELECT 1 FROM deployment WHERE id = \(bind: deployment.lowercased)").first() != nil
                }
                if let refusal = JobVariableUpdate.refusal(stateType: try row.stateType("state_type"), deploymentExists: deploymentExists) {
                    throw StoreError.badRequest(refusal)
                }
            }
            var cols = Columns()
            cols.set("updated", now.microseconds)
            for key in ["name", "flow_version", "infrastructure_pid"] where patch.has(key) {
                if case .string(let s)? = patch.values[key] { cols.set(key, s) } else { cols.set(key, nil) }
            }
            for key in ["parameters", "empirical_policy", "tags", "job_variables"] where patch.has(key) {
                let v = patch.values[key]!
                cols.set(key, v == .null ? nil : v.jsonText)
            }
            try await db.raw(cols.update("flow_run", id: id)).run()
            return true
        }
    }

    /// Merges labels into a run's labels; false when the run does not exist.
    public func updateLabels(_ id: UUID, _ labels: JSONValue, now: Timestamp = .now()) async throws -> Bool {
        try await backend.write { db in
            guard let row = try await db.raw("SELECT labels FROM flow_run WHERE id = \(bind: id.lowercased)").first() else { return false }
            let merged = JSONObjectBuilder.merge([try row.jsonValue("labels"), labels])
            try await db.raw(
                "UPDATE flow_run SET labels = \(bind: merged.jsonText), updated = \(bind: now.microseconds) WHERE id = \(bind: id.lowercased)"
            ).run()
            return true
        }
    }

    /// Deletes up to `limit` runs matching a filter (newest id first); their ids.
    public func bulkDelete(_ q: BulkQuery) async throws -> [UUID] {
        let select: SQLQueryString = "SELECT id FROM flow_run WHERE \(compiler.compile(q.condition)) ORDER BY id DESC LIMIT \(bind: q.limit)"
        return try await backend.write { db in
            let ids = try await db.raw(select).all().map { try $0.uuid("id") }
            for id in ids {
                try await db.raw("DELETE FROM log WHERE flow_run_id = \(bind: id.lowercased)").run()
                try await db.raw("DELETE FROM flow_run WHERE id = \(bind: id.lowercased)").run()
            }
            return ids
        }
    }

    /// Proposes one state to up to `limit` runs matching a filter, each orchestrated on its own.
    public func bulkSetState(_ q: BulkQuery, now fixed: Timestamp? = nil) async throws -> [(UUID, OrchestrationResult)] {
        guard let state = q.state else { return [] }
        let select: SQLQueryString = "SELECT id FROM flow_run WHERE \(compiler.compile(q.condition)) ORDER BY id DESC LIMIT \(bind: q.limit)"
        return try await backend.write(locking: true) { db in
            var results: [(UUID, OrchestrationResult)] = []
            for id in try await db.raw(select).all().map({ try $0.uuid("id") }) {
                if let r = try await RunStates.propose(db, kind: .flow, id: id, proposal: state, force: q.force, now: fixed) {
                    results.append((id, r))
                }
            }
            return results
        }
    }

    /// A page of runs and the total count.
    public func paginate(_ q: PaginateFlowRunsQuery) async throws -> (runs: [FlowRun], count: Int) {
        let runs = try await filter(q.query)
        let count = try await count(CountFlowRunsQuery(filter: q.query.filter))
        return (runs, count)
    }

    /// The average lateness in whole seconds of the matching runs, nil when none match.
    public func lateness(_ q: CountFlowRunsQuery, now: Timestamp = .now()) async throws -> Double? {
        let sql: SQLQueryString =
            "SELECT \(RunEstimates(table: "flow_run", now: now).columns) FROM flow_run WHERE \(compiler.compile(q.filter.condition))"
        let values = try await backend.read { db in try await db.raw(sql).all().map { max(0, try $0.double("est_lateness")).rounded(.down) } }
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Counts of runs per state over time buckets of their expected start time.
    public func history(_ q: HistoryQuery, now: Timestamp = .now()) async throws -> [HistoryBucket] {
        try await RunHistory(table: "flow_run", compiler: compiler).buckets(q, backend: backend, now: now)
    }

    /// Resumes a paused run: RUNNING for a blocking pause, SCHEDULED `Resuming` for a suspended one,
    /// through the core policy. Nil when the run does not exist.
    public func resume(_ id: UUID, now fixed: Timestamp? = nil) async throws -> OrchestrationResult? {
        try await backend.write(locking: true) { db in
            guard let (_, current) = try await RunStates.load(db, kind: .flow, id: id) else { return nil }
            let now = fixed ?? .now()
            switch Resume.decide(current: current, now: now) {
            case .answer(let result): return result
            case .propose(let proposal): return try await RunStates.propose(db, kind: .flow, id: id, proposal: proposal, force: false, now: now)
            }
        }
    }
}

extension FlowRunRepository {
    /// The run's graph (`graph-v2`): nil when the run does not exist.
    public func graph(_ id: UUID, since: Timestamp?) async throws -> RunGraph? {
        try await backend.read { db in
            guard
                let run = try await db.raw("SELECT start_time, expected_start_time, end_time FROM flow_run WHERE id = \(bind: id.lowercased)").first()
            else { return nil }
            let rows = try await db.raw(
                """
                SELECT task_run.id, task_run.name, task_run.state_type, task_run.start_time, task_run.expected_start_time, task_run.end_time,
                       task_run.task_inputs, sub.id AS sub_id, sub.name AS sub_name, sub.state_type AS sub_state_type, sub.start_time AS sub_start,
                       sub.expected_start_time AS sub_expected, sub.end_time AS sub_end, flow.name AS flow_name
                FROM task_run LEFT JOIN flow_run AS sub ON sub.parent_task_run_id = task_run.id
                LEFT JOIN flow ON flow.id = sub.flow_id
                WHERE task_run.flow_run_id = \(bind: id.lowercased)
                """
            ).all()
            var nodes: [RunGraph.Node] = []
            var inputs: [UUID: [UUID]] = [:]
            var parentsInputs: [UUID: [UUID]] = [:]
            for r in rows {
                let isSubflow = try r.optUUID("sub_id") != nil
                guard
                    let start = try r.optTimestamp("sub_start") ?? r.optTimestamp("sub_expected") ?? r.optTimestamp("start_time")
                        ?? r.optTimestamp("expected_start_time")
                else { continue }
                let taskCompleted = try r.optString("state_type") == StateType.COMPLETED.rawValue
                let end = try r.optTimestamp("sub_end") ?? r.optTimestamp("end_time") ?? (taskCompleted ? r.optTimestamp("expected_start_time") : nil)
                let nodeId = try isSubflow ? r.uuid("sub_id") : r.uuid("id")
                let node = RunGraph.Node(
                    kind: isSubflow ? "flow-run" : "task-run",
                    id: nodeId,
                    label: isSubflow ? "\(try r.string("flow_name")) / \(try r.string("sub_name"))" : try r.string("name"),
                    stateType: isSubflow ? try r.stateType("sub_state_type") : try r.stateType("state_type"),
                    startTime: start,
                    endTime: end
                )
                nodes.append(node)
                if case .object(let pairs) = try r.jsonValue("task_inputs") {
                    for (key, value) in pairs {
                        guard case .array(let items) = value else { continue }
                        let found = items.compactMap { item -> UUID? in
                            if case .string(let s)? = item["id"] { return UUID(uuidString: s) }
                            return nil
                        }
                        if key == "__parents__" { parentsInputs[nodeId, default: []] += found } else { inputs[nodeId, default: []] += found }
                    }
                }
            }
            nodes.sort { ($0.startTime, $0.endTime?.microseconds ?? Int64.min) < ($1.startTime, $1.endTime?.microseconds ?? Int64.min) }
            // Edges are drawn over every node; `since` then only hides nodes that ended before it.
            var linked = RunGraph.link(nodes, inputs: inputs, parentsInputs: parentsInputs)
            if let since { linked.removeAll { node in node.endTime.map { $0 < since } ?? false } }
            if linked.count > 10_000 { throw StoreError.badRequest("The graph of flow run \(id.lowercased) has more than 10000 nodes.") }
            let states = try await db.raw(
                "SELECT id, timestamp, type, name FROM flow_run_state WHERE flow_run_id = \(bind: id.lowercased) ORDER BY timestamp ASC"
            ).all()
                .compactMap { r -> (UUID, Timestamp, StateType, String)? in
                    try r.stateType("type").map { (try r.uuid("id"), try r.timestamp("timestamp"), $0, try r.string("name")) }
                }
            return RunGraph(
                startTime: try run.optTimestamp("start_time") ?? run.optTimestamp("expected_start_time"),
                endTime: try run.optTimestamp("end_time"),
                nodes: linked,
                states: states
            )
        }
    }
}
