import Foundation
import SQLKit
import WeirModels

/// Flows: create-or-return by name, lookups and filtered listings.
public struct FlowRepository: Sendable {
    let backend: any StoreBackend
    var compiler: FilterCompiler { FilterCompiler(dialect: backend.dialect) }

    static func decode(_ r: any SQLRow) throws -> Flow {
        Flow(
            id: try r.uuid("id"),
            created: try r.timestamp("created"),
            updated: try r.timestamp("updated"),
            name: try r.string("name"),
            tags: try r.tags("tags"),
            labels: try r.json("labels")
        )
    }

    /// Creates the flow, or returns the existing one of that name unchanged (`created` false).
    public func create(_ c: FlowCreate, now: Timestamp = .now()) async throws -> (Flow, created: Bool) {
        try await backend.write { db in
            if let existing = try await Self.find(db, "name = \(bind: c.name)") { return (existing, false) }
            var cols = Columns()
            let id = UUID()
            cols.set("id", id.lowercased)
            cols.set("created", now.microseconds)
            cols.set("updated", now.microseconds)
            cols.set("name", c.name)
            cols.set("tags", tagsJSON(c.tags))
            cols.set("labels", c.labels.jsonText)
            try await db.raw(cols.insert(into: "flow")).run()
            return (Flow(id: id, created: now, updated: now, name: c.name, tags: c.tags, labels: RawJSON(c.labels)), true)
        }
    }

    static func find(_ db: any SQLDatabase, _ condition: SQLQueryString) async throws -> Flow? {
        try await db.raw("SELECT * FROM flow WHERE \(condition)").first().map(decode)
    }

    /// Deletes a flow with its deployments and runs (their logs stay, as in the reference); false when it does not exist.
    public func delete(_ id: UUID) async throws -> Bool {
        try await backend.write { db in
            guard try await db.raw("SELECT 1 FROM flow WHERE id = \(bind: id.lowercased)").first() != nil else { return false }
            try await db.raw("DELETE FROM flow WHERE id = \(bind: id.lowercased)").run()
            return true
        }
    }

    /// The flow with this id.
    public func get(_ id: UUID) async throws -> Flow? {
        try await backend.read { db in try await Self.find(db, "id = \(bind: id.lowercased)") }
    }

    /// The flow with exactly this name.
    public func get(name: String) async throws -> Flow? {
        try await backend.read { db in try await Self.find(db, "name = \(bind: name)") }
    }

    private func whereClause(_ q: ReadFlowsQuery) -> SQLQueryString {
        var clause: SQLQueryString = "\(compiler.compile(q.flows))"
        if let runs = q.runs {
            clause = "\(clause) AND EXISTS (SELECT 1 FROM flow_run WHERE flow_run.flow_id = flow.id AND \(compiler.compile(runs)))"
        }
        return clause
    }

    /// Flows matching a `POST /flows/filter` body.
    public func filter(_ q: ReadFlowsQuery) async throws -> [Flow] {
        let sql: SQLQueryString =
            "SELECT * FROM flow WHERE \(whereClause(q)) ORDER BY \(compiler.orderBy(q.sort.keys, now: .now())) LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
        return try await backend.read { db in try await db.raw(sql).all().map(Self.decode) }
    }

    /// How many flows match a `POST /flows/count` body.
    public func count(_ q: ReadFlowsQuery) async throws -> Int {
        let sql: SQLQueryString = "SELECT count(*) AS n FROM flow WHERE \(whereClause(q))"
        return try await backend.read { db in try await db.raw(sql).first()?.int("n") ?? 0 }
    }
}
