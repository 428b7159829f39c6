import Foundation
import SQLKit
import WeirModels

/// Task run listings, counts, pages, history and updates.
extension TaskRunRepository {
    var compiler: FilterCompiler { FilterCompiler(dialect: backend.dialect) }

    /// Task runs matching a `POST /task_runs/filter` (or paginate) body.
    public func filter(_ q: ReadTaskRunsQuery, now: Timestamp = .now()) async throws -> [TaskRun] {
        let sql: SQLQueryString =
            "SELECT * FROM task_run WHERE \(compiler.compile(q.filter.condition)) ORDER BY \(compiler.orderBy(q.sort.keys, now: now)) LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
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
        try await RunHistory(table: "task_run", compiler: compiler).buckets(q, backend: backend, now: now)
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
            let ids = try await db.raw(select).all().map { try $0.uuid("id") }
            for id in ids { try await db.raw("DELETE FROM flow WHERE id = \(bind: id.lowercased)").run() }
            return ids
        }
    }
}
