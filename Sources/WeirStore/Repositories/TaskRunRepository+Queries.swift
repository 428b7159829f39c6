import Foundation
import SQLKit
import WeirModels

/// Task run listings, counts, pages, history and updates.
extension TaskRunRepository {
    var compiler: FilterCompiler { FilterCompiler(dialect: backend.dialect) }

    /// `estimated_run_time` in SQL, for the duration sorts.
    static func estimatedRunTime(now: Timestamp) -> String {
        "(CASE WHEN task_run.state_type = 'RUNNING' AND task_run.state_timestamp IS NOT NULL THEN task_run.total_run_time + (\(now.microseconds) - task_run.state_timestamp) / CAST(1000000 AS DOUBLE PRECISION) ELSE task_run.total_run_time END)"
    }

    static func order(_ sort: TaskRunSort, now: Timestamp) -> String {
        switch sort {
        case .ID_DESC: return "task_run.id DESC"
        case .EXPECTED_START_TIME_ASC: return "task_run.expected_start_time ASC, task_run.id ASC"
        case .EXPECTED_START_TIME_DESC: return "task_run.expected_start_time DESC, task_run.id DESC"
        case .NAME_ASC: return "task_run.name ASC, task_run.id ASC"
        case .NAME_DESC: return "task_run.name DESC, task_run.id DESC"
        case .NEXT_SCHEDULED_START_TIME_ASC: return "task_run.next_scheduled_start_time ASC, task_run.id ASC"
        case .END_TIME_DESC: return "task_run.end_time DESC, task_run.id DESC"
        case .DURATION_DESC: return "\(estimatedRunTime(now: now)) DESC, task_run.expected_start_time DESC, task_run.id DESC"
        case .DURATION_ASC: return "\(estimatedRunTime(now: now)) ASC, task_run.expected_start_time DESC, task_run.id DESC"
        }
    }

    /// Task runs matching a `POST /task_runs/filter` (or paginate) body.
    public func filter(_ q: ReadTaskRunsQuery, now: Timestamp = .now()) async throws -> [TaskRun] {
        let sql: SQLQueryString =
            "SELECT * FROM task_run WHERE \(compiler.compile(q.filter.condition)) ORDER BY \(unsafeRaw: backend.dialect.orderBy(Self.order(q.sort, now: now))) LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
        return try await backend.read { db in try await db.raw(sql).all().map(Self.decode) }
    }

    /// How many task runs match.
    public func count(_ filter: TaskRunFilterSet) async throws -> Int {
        let sql: SQLQueryString = "SELECT count(*) AS n FROM task_run WHERE \(compiler.compile(filter.condition))"
        return try await backend.read { db in try await db.raw(sql).first()?.int("n") ?? 0 }
    }

    /// Renames a task run; false when it does not exist.
    public func update(_ id: UUID, _ patch: Patch, now: Timestamp = .now()) async throws -> Bool {
        try await backend.write { db in
            guard try await db.raw("SELECT 1 FROM task_run WHERE id = \(bind: id.lowercased)").first() != nil else { return false }
            if case .string(let name)? = patch.values["name"] {
                try await db.raw("UPDATE task_run SET name = \(bind: name), updated = \(bind: now.microseconds) WHERE id = \(bind: id.lowercased)")
                    .run()
            }
            return true
        }
    }

    /// Counts of task runs per state over time buckets of their expected start time.
    public func history(_ q: HistoryQuery, now: Timestamp = .now()) async throws -> [HistoryBucket] {
        let starts = q.bucketStarts
        guard let first = starts.first else { return [] }
        let end = first.adding(seconds: Double(starts.count) * q.intervalSeconds)
        let sql: SQLQueryString = """
            SELECT task_run.expected_start_time, task_run.state_type, task_run.state_name, \(unsafeRaw: runEstimates(table: "task_run", now: now))
            FROM task_run WHERE task_run.expected_start_time >= \(bind: first.microseconds) AND task_run.expected_start_time < \(bind: end.microseconds)
            AND task_run.state_type IS NOT NULL AND \(compiler.compile(q.condition))
            """
        let rows = try await backend.read { db in
            try await db.raw(sql).all().compactMap { r -> (expected: Timestamp, type: StateType, name: String, runTime: Double, lateness: Double)? in
                guard let type = r.stateType("state_type") else { return nil }
                return (r.timestamp("expected_start_time"), type, r.string("state_name"), r.double("est_run_time"), r.double("est_lateness"))
            }
        }
        return History.buckets(q, runs: rows)
    }
}

/// Flow updates, pages and bulk deletes.
extension FlowRepository {
    /// Replaces a flow's tags; false when it does not exist.
    public func update(_ id: UUID, _ patch: Patch, now: Timestamp = .now()) async throws -> Bool {
        try await backend.write { db in
            guard try await db.raw("SELECT 1 FROM flow WHERE id = \(bind: id.lowercased)").first() != nil else { return false }
            if let tags = patch.values["tags"] {
                try await db.raw(
                    "UPDATE flow SET tags = \(bind: tags.jsonText), updated = \(bind: now.microseconds) WHERE id = \(bind: id.lowercased)"
                ).run()
            }
            return true
        }
    }

    /// Deletes up to `limit` flows matching a filter (by name) with their deployments and runs.
    public func bulkDelete(_ q: BulkQuery) async throws -> [UUID] {
        let select: SQLQueryString = "SELECT id FROM flow WHERE \(compiler.compile(q.condition)) ORDER BY name ASC LIMIT \(bind: q.limit)"
        return try await backend.write { db in
            let ids = try await db.raw(select).all().map { $0.uuid("id") }
            for id in ids { try await db.raw("DELETE FROM flow WHERE id = \(bind: id.lowercased)").run() }
            return ids
        }
    }
}
