import Foundation
import SQLKit
import WeirModels

/// Workers of a pool: heartbeats, listing and deletion.
public struct WorkerRepository: Sendable {
    let backend: any StoreBackend
    var compiler: FilterCompiler { FilterCompiler(dialect: backend.dialect) }

    static func decode(_ r: any SQLRow) throws -> Worker {
        Worker(
            id: try r.uuid("id"),
            created: try r.timestamp("created"),
            updated: try r.timestamp("updated"),
            name: try r.string("name"),
            workPoolId: try r.uuid("work_pool_id"),
            lastHeartbeatTime: try r.timestamp("last_heartbeat_time"),
            heartbeatIntervalSeconds: try r.optInt("heartbeat_interval_seconds"),
            status: WorkerStatus(rawValue: try r.string("status")) ?? .OFFLINE
        )
    }

    /// Records a heartbeat: the worker is created or updated (ONLINE, heartbeat now, its interval
    /// when given), and a NOT_READY pool becomes READY, as the reference's
    /// `record_worker_heartbeat` does.
    public func heartbeat(pool: String, _ h: WorkerHeartbeat, now: Timestamp = .now()) async throws {
        try await backend.write { db in
            guard let p = try await WorkPoolRepository.findPool(db, name: pool) else { throw WorkPoolRepository.poolNotFound(pool) }
            try await db.raw(
                """
                INSERT INTO worker (id, created, updated, name, work_pool_id, last_heartbeat_time, heartbeat_interval_seconds, status)
                VALUES (\(bind: UUID().lowercased), \(bind: now.microseconds), \(bind: now.microseconds), \(bind: h.name), \(bind: p.id.lowercased),
                        \(bind: now.microseconds), \(bind: h.heartbeatIntervalSeconds), 'ONLINE')
                ON CONFLICT (work_pool_id, name) DO UPDATE SET updated = excluded.updated, last_heartbeat_time = excluded.last_heartbeat_time,
                    status = 'ONLINE', heartbeat_interval_seconds = coalesce(excluded.heartbeat_interval_seconds, worker.heartbeat_interval_seconds)
                """
            ).run()
            if p.status == "NOT_READY" {
                try await db.raw(
                    "UPDATE work_pool SET status = 'READY', updated = \(bind: now.microseconds) WHERE id = \(bind: p.id.lowercased)"
                ).run()
                try await StatusEvents.workPool(db, p, status: "READY", now: now)
            }
        }
    }

    /// A pool's workers matching a `WorkerFilter`, most recent heartbeat first.
    public func filter(pool: String, _ q: SimpleFilterQuery) async throws -> [Worker] {
        try await backend.read { db in
            guard let p = try await WorkPoolRepository.findPool(db, name: pool) else { throw WorkPoolRepository.poolNotFound(pool) }
            let sql: SQLQueryString = """
                SELECT * FROM worker WHERE work_pool_id = \(bind: p.id.lowercased) AND \(compiler.compile(q.condition))
                ORDER BY last_heartbeat_time DESC, id LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)
                """
            return try await db.raw(sql).all().map(Self.decode)
        }
    }

    /// Deletes a pool's worker by name; false when there is none.
    public func delete(pool: String, name: String) async throws -> Bool {
        try await backend.write { db in
            guard let p = try await WorkPoolRepository.findPool(db, name: pool) else { throw WorkPoolRepository.poolNotFound(pool) }
            let found = try await db.raw("SELECT id FROM worker WHERE work_pool_id = \(bind: p.id.lowercased) AND name = \(bind: name)").first()
            guard found != nil else { return false }
            try await db.raw("DELETE FROM worker WHERE work_pool_id = \(bind: p.id.lowercased) AND name = \(bind: name)").run()
            return true
        }
    }
}
