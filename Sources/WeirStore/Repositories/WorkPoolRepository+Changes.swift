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
            try await StatusEvents.updated(db, "prefect.work-pool.updated", resource: Self.poolResource(after), related: [], changed, now: now)
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
            let poolRelated = Self.poolResource(pool)
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

    /// `_work_pool_resource` (also a pool as a related resource).
    static func poolResource(_ pool: WorkPool) -> JSONValue { StatusEvents.poolResource(id: pool.id, name: pool.name, type: pool.type) }

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

/// Updating and deleting a pool's queues.
extension WorkPoolRepository {
    /// The queue of a pool by names, or the reference's 404s.
    static func findQueue(_ db: any SQLDatabase, pool: String, name: String) async throws -> WorkQueue {
        guard try await findPool(db, name: pool) != nil else { throw poolNotFound(pool) }
        guard
            let row = try await db.raw("\(unsafeRaw: selectQueue) WHERE work_pool.name = \(bind: pool) AND work_queue.name = \(bind: name)").first()
        else { throw queueNotFound(pool, name) }
        return try decodeQueue(row)
    }

    static func queueResource(_ q: WorkQueue) -> JSONValue {
        .object([
            ("prefect.resource.id", .string("prefect.work-queue.\(q.id.lowercased)")), ("prefect.resource.name", .string(q.name)),
            ("prefect.resource.role", .string("work-queue")),
        ])
    }

    /// Applies new priorities (``resequencedPriorities(_:changing:)``) to a pool's queues.
    static func resequence(_ db: any SQLDatabase, pool: UUID, changing: [UUID: Int]) async throws {
        let queues = try await db.raw("SELECT id, priority FROM work_queue WHERE work_pool_id = \(bind: pool.lowercased)").all().map {
            (id: try $0.uuid("id"), priority: try $0.int("priority"))
        }
        let current = Dictionary(uniqueKeysWithValues: queues.map { ($0.id, $0.priority) })
        for (id, priority) in resequencedPriorities(queues, changing: changing) where current[id] != priority {
            try await db.raw("UPDATE work_queue SET priority = \(bind: priority) WHERE id = \(bind: id.lowercased)").run()
        }
    }

    /// `PATCH /work_pools/{pool}/queues/{name}`, as the reference's `update_work_queue`: the
    /// fields given change; pausing makes the queue PAUSED and resuming a PAUSED queue makes it
    /// READY when polled in the last minute, NOT_READY otherwise (with the status event); other
    /// queues' priorities move to keep them unique; changed fields get `prefect.work-queue.updated`.
    public func updateQueue(pool: String, name: String, _ u: WorkQueueUpdate, now: Timestamp = .now()) async throws {
        try await backend.write { db in
            let before = try await Self.findQueue(db, pool: pool, name: name)
            var cols = Columns()
            var changed: [(String, JSONValue, JSONValue)] = []
            func field(_ key: String, old: JSONValue, new: JSONValue, stored: (any Encodable & Sendable)?) {
                guard u.present.contains(key) else { return }
                cols.set(key, stored)
                if old != new { changed.append((key, old, new)) }
            }
            if let n = u.name { field("name", old: .string(before.name), new: .string(n), stored: n) }
            field(
                "description",
                old: before.description.map(JSONValue.string) ?? .null,
                new: u.description.map(JSONValue.string) ?? .null,
                stored: u.description
            )
            field(
                "concurrency_limit",
                old: before.concurrencyLimit.map { .number(String($0)) } ?? .null,
                new: u.concurrencyLimit.map { .number(String($0)) } ?? .null,
                stored: u.concurrencyLimit
            )
            if let p = u.priority { field("priority", old: .number(String(before.priority)), new: .number(String(p)), stored: p) }
            if u.present.contains("last_polled") { cols.set("last_polled", u.lastPolled?.microseconds) }
            var status: String?
            if let paused = u.isPaused {
                cols.set("is_paused", paused ? 1 : 0)
                if paused, before.status != "PAUSED" {
                    status = "PAUSED"
                } else if !paused, before.status == "PAUSED" {
                    let polled = u.present.contains("last_polled") ? u.lastPolled : before.lastPolled
                    status = polled.map { now.microseconds - $0.microseconds <= 60_000_000 } == true ? "READY" : "NOT_READY"
                }
            }
            if let status { cols.set("status", status) }
            cols.set("updated", now.microseconds)
            if let n = u.name, n != before.name,
                try await db.raw("SELECT 1 FROM work_queue WHERE work_pool_id = \(bind: before.workPoolId.lowercased) AND name = \(bind: n)").first()
                    != nil
            {
                throw StoreError.integrity
            }
            try await mapIntegrity { try await db.raw(cols.update("work_queue", id: before.id)).run() }
            if let p = u.priority { try await Self.resequence(db, pool: before.workPoolId, changing: [before.id: p]) }
            guard let row = try await db.raw("\(unsafeRaw: Self.selectQueue) WHERE work_queue.id = \(bind: before.id.lowercased)").first() else {
                throw StoreError.integrity
            }
            let after = try Self.decodeQueue(row)
            let poolRow = try await db.raw("\(unsafeRaw: Self.selectPool) WHERE id = \(bind: after.workPoolId.lowercased)").first()
            let related = try poolRow.map { [Self.poolResource(try Self.decodePool($0))] } ?? []
            try await StatusEvents.updated(db, "prefect.work-queue.updated", resource: Self.queueResource(after), related: related, changed, now: now)
            if let status {
                try await StatusEvents.emit(
                    db,
                    Event(
                        occurred: now,
                        event: "prefect.work-queue.\(status.lowercased().replacingOccurrences(of: "_", with: "-"))",
                        resource: Self.queueResource(after),
                        related: related,
                        payload: .emptyObject,
                        id: UUID(),
                        follows: nil,
                        received: now
                    )
                )
            }
        }
    }

    /// `DELETE /work_pools/{pool}/queues/{name}`: its `prefect.work-queue.deleted` event; a
    /// pool's default queue cannot be deleted (400); its deployments and runs lose their queue.
    public func deleteQueue(pool: String, name: String, now: Timestamp = .now()) async throws {
        try await backend.write { db in
            let q = try await Self.findQueue(db, pool: pool, name: name)
            guard let p = try await Self.findPool(db, name: pool) else { throw Self.poolNotFound(pool) }
            if p.defaultQueueId == q.id { throw StoreError.badRequest("Can't delete a pool's default queue.") }
            try await StatusEvents.emit(
                db,
                Event(
                    occurred: now,
                    event: "prefect.work-queue.deleted",
                    resource: Self.queueResource(q),
                    related: [Self.poolResource(p)],
                    payload: .emptyObject,
                    id: UUID(),
                    follows: nil,
                    received: now
                )
            )
            try await db.raw("UPDATE flow_run SET work_queue_id = NULL WHERE work_queue_id = \(bind: q.id.lowercased)").run()
            try await db.raw("UPDATE deployment SET work_queue_id = NULL WHERE work_queue_id = \(bind: q.id.lowercased)").run()
            try await db.raw("DELETE FROM work_queue WHERE id = \(bind: q.id.lowercased)").run()
            try await Self.resequence(db, pool: p.id, changing: [:])
        }
    }
}
