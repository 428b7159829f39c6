import Foundation
import SQLKit
import WeirModels

/// Updating, deleting and counting work pools.
extension WorkPoolRepository {
    /// How many pools match a `WorkPoolFilter` (`POST /work_pools/count`).
    public func count(_ condition: Condition) async throws -> Int {
        let sql: SQLQueryString = "SELECT count(*) AS n FROM work_pool WHERE \(compiler.compile(condition))"
        return try await backend.read { db in try await db.raw(sql).first()?.int("n") ?? 0 }
    }

    static func reservedName(_ name: String) -> Bool { name.lowercased().hasPrefix("prefect") }

    /// `PATCH /work_pools/{name}`, as the reference's `update_work_pool`: the fields given change;
    /// pausing a pool (other than `prefect-agent`) makes it PAUSED, resuming it READY when it has an
    /// ONLINE worker and NOT_READY otherwise, with the status event; changed fields get a
    /// `prefect.work-pool.updated` event. Pools named `prefect...` may only be paused or limited.
    public func update(name: String, _ u: WorkPoolUpdate, now: Timestamp = .now()) async throws {
        if Self.reservedName(name), !u.present.subtracting(["is_paused", "concurrency_limit"]).isEmpty {
            throw StoreError.forbidden(
                "Work pools starting with 'Prefect' are reserved for internal use and can only be updated to set concurrency limits or pause."
            )
        }
        try await backend.write { db in
            guard let before = try await Self.findPool(db, name: name) else { throw Self.poolNotFound(name) }
            var cols = Columns()
            var changed: [(String, JSONValue, JSONValue)] = []
            func field(_ key: String, old: JSONValue, new: JSONValue, stored: (any Encodable & Sendable)?) {
                guard u.present.contains(key) else { return }
                cols.set(key, stored)
                if old != new { changed.append((key, old, new)) }
            }
            field(
                "description",
                old: before.description.map(JSONValue.string) ?? .null,
                new: u.description.map(JSONValue.string) ?? .null,
                stored: u.description
            )
            if let t = u.baseJobTemplate { field("base_job_template", old: try before.baseJobTemplate.parsed(), new: t, stored: t.jsonText) }
            field(
                "concurrency_limit",
                old: before.concurrencyLimit.map { .number(String($0)) } ?? .null,
                new: u.concurrencyLimit.map { .number(String($0)) } ?? .null,
                stored: u.concurrencyLimit
            )
            if let s = u.storageConfiguration {
                field("storage_configuration", old: try before.storageConfiguration.parsed(), new: s, stored: s.jsonText)
            }
            var status: String?
            if let paused = u.isPaused {
                cols.set("is_paused", paused ? 1 : 0)
                if before.type != "prefect-agent" {
                    if paused {
                        status = "PAUSED"
                    } else {
                        let online = try await db.raw(
                            "SELECT 1 FROM worker WHERE work_pool_id = \(bind: before.id.lowercased) AND status = 'ONLINE'"
                        ).first()
                        status = online == nil ? "NOT_READY" : "READY"
                    }
                }
            }
            if let status { cols.set("status", status) }
            cols.set("updated", now.microseconds)
            try await mapIntegrity { try await db.raw(cols.update("work_pool", id: before.id)).run() }
            guard let after = try await Self.findPool(db, name: name) else { throw StoreError.integrity }
            if !changed.isEmpty {
                let updates = JSONValue.object(changed.map { ($0.0, .object([("from", $0.1), ("to", $0.2)])) })
                try await StatusEvents.emit(
                    db,
                    Event(
                        occurred: now,
                        event: "prefect.work-pool.updated",
                        resource: Self.poolResource(after),
                        related: [],
                        payload: .object([("updated_fields", .array(changed.map { .string($0.0) })), ("updates", updates)]),
                        id: UUID(),
                        follows: nil,
                        received: now
                    )
                )
            }
            if let status { try await StatusEvents.workPool(db, after, status: status, now: now) }
        }
    }

    /// `DELETE /work_pools/{name}`: each queue's `prefect.work-queue.deleted` and the pool's
    /// `prefect.work-pool.deleted` events; its queues and workers go with it, its deployments
    /// and runs lose their queue. Pools named `prefect...` may not be deleted.
    public func delete(name: String, now: Timestamp = .now()) async throws {
        if Self.reservedName(name) {
            throw StoreError.forbidden("Work pools starting with 'Prefect' are reserved for internal use and can not be deleted.")
        }
        try await backend.write { db in
            guard let pool = try await Self.findPool(db, name: name) else { throw Self.poolNotFound(name) }
            let queues = try await db.raw("\(unsafeRaw: Self.selectQueue) WHERE work_queue.work_pool_id = \(bind: pool.id.lowercased)").all().map(
                Self.decodeQueue
            )
            let poolRelated = JSONValue.object([
                ("prefect.resource.id", .string("prefect.work-pool.\(pool.id.lowercased)")), ("prefect.resource.name", .string(pool.name)),
                ("prefect.work-pool.type", .string(pool.type)), ("prefect.resource.role", .string("work-pool")),
            ])
            for q in queues {
                try await StatusEvents.emit(
                    db,
                    Event(
                        occurred: now,
                        event: "prefect.work-queue.deleted",
                        resource: .object([
                            ("prefect.resource.id", .string("prefect.work-queue.\(q.id.lowercased)")), ("prefect.resource.name", .string(q.name)),
                            ("prefect.resource.role", .string("work-queue")),
                        ]),
                        related: [poolRelated],
                        payload: .emptyObject,
                        id: UUID(),
                        follows: nil,
                        received: now
                    )
                )
            }
            try await StatusEvents.emit(
                db,
                Event(
                    occurred: now,
                    event: "prefect.work-pool.deleted",
                    resource: Self.poolResource(pool),
                    related: Self.poolRelated(pool, storage: try pool.storageConfiguration.parsed()),
                    payload: .emptyObject,
                    id: UUID(),
                    follows: nil,
                    received: now
                )
            )
            let ids = queues.map { SQLBind($0.id.lowercased) }
            if !ids.isEmpty {
                // (The foreign keys would do this; stated so both databases do it the same way.)
                try await db.raw("UPDATE flow_run SET work_queue_id = NULL WHERE work_queue_id IN (\(SQLList(ids)))").run()
                try await db.raw("UPDATE deployment SET work_queue_id = NULL WHERE work_queue_id IN (\(SQLList(ids)))").run()
            }
            try await db.raw("DELETE FROM worker WHERE work_pool_id = \(bind: pool.id.lowercased)").run()
            try await db.raw("DELETE FROM work_queue WHERE work_pool_id = \(bind: pool.id.lowercased)").run()
            try await db.raw("DELETE FROM work_pool WHERE id = \(bind: pool.id.lowercased)").run()
        }
    }

    /// `_work_pool_resource`.
    static func poolResource(_ pool: WorkPool) -> JSONValue {
        .object([
            ("prefect.resource.id", .string("prefect.work-pool.\(pool.id.lowercased)")), ("prefect.resource.name", .string(pool.name)),
            ("prefect.work-pool.type", .string(pool.type)), ("prefect.resource.role", .string("work-pool")),
        ])
    }

    /// `_work_pool_related_resources`: its default queue and result storage block.
    static func poolRelated(_ pool: WorkPool, storage: JSONValue) -> [JSONValue] {
        var related: [JSONValue] = []
        if let q = pool.defaultQueueId {
            related.append(
                .object([("prefect.resource.id", .string("prefect.work-queue.\(q.lowercased)")), ("prefect.resource.role", .string("default-queue"))])
            )
        }
        if case .string(let block)? = storage["default_result_storage_block_id"] {
            related.append(
                .object([("prefect.resource.id", .string("prefect.block-document.\(block)")), ("prefect.resource.role", .string("result-storage"))])
            )
        }
        return related
    }
}
