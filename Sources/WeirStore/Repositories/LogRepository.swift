import Foundation
import SQLKit
import WeirModels

/// Logs shipped by runs: batches in, filtered reads out.
public struct LogRepository: Sendable {
    let backend: any StoreBackend
    var compiler: FilterCompiler { FilterCompiler(dialect: backend.dialect) }

    static func decode(_ r: any SQLRow) throws -> Log {
        Log(
            id: try r.uuid("id"),
            created: try r.timestamp("created"),
            updated: try r.timestamp("updated"),
            name: try r.string("name"),
            level: try r.int("level"),
            message: try r.string("message"),
            timestamp: try r.timestamp("timestamp"),
            flowRunId: try r.optUUID("flow_run_id"),
            taskRunId: try r.optUUID("task_run_id")
        )
    }

    /// Stores a batch of log lines in one transaction.
    public func create(_ logs: [LogCreate], now: Timestamp = .now()) async throws {
        guard !logs.isEmpty else { return }
        try await backend.write { db in
            for chunk in stride(from: 0, to: logs.count, by: 500) {
                let rows = logs[chunk..<min(chunk + 500, logs.count)].map { l -> any SQLExpression in
                    SQLList([
                        SQLBind(UUID().lowercased), SQLBind(now.microseconds), SQLBind(now.microseconds), SQLBind(l.name), SQLBind(l.level),
                        SQLBind(l.message), SQLBind(l.timestamp.microseconds),
                        l.flowRunId.stored.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null,
                        l.taskRunId.stored.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null,
                    ])
                }
                let values = SQLList(rows.map { SQLQueryString("(\($0))") })
                try await db.raw("INSERT INTO log (id, created, updated, name, level, message, timestamp, flow_run_id, task_run_id) VALUES \(values)")
                    .run()
            }
        }
    }

    /// Logs matching a `POST /logs/filter` body.
    public func filter(_ q: ReadLogsQuery) async throws -> [Log] {
        let sql: SQLQueryString =
            "SELECT * FROM log WHERE \(compiler.compile(q.logs)) ORDER BY \(compiler.orderBy(q.sort.keys, now: .now())) LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
        return try await backend.read { db in try await db.raw(sql).all().map(Self.decode) }
    }

    /// Every log of a flow run in time order, for the download endpoint.
    public func all(flowRunId: UUID) async throws -> [Log] {
        try await backend.read { db in
            try await db.raw("SELECT * FROM log WHERE flow_run_id = \(bind: flowRunId.lowercased) ORDER BY timestamp ASC, id ASC").all().map(
                Self.decode
            )
        }
    }
}
