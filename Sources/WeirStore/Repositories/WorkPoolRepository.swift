import Foundation
import SQLKit
import WeirModels

/// Work pools and their queues.
public struct WorkPoolRepository: Sendable {
    let backend: any StoreBackend
    var compiler: FilterCompiler { FilterCompiler(dialect: backend.dialect) }

    static func decodePool(_ r: any SQLRow) throws -> WorkPool {
        WorkPool(
            id: try r.uuid("id"),
            created: try r.timestamp("created"),
            updated: try r.timestamp("updated"),
            name: try r.string("name"),
            description: try r.optString("description"),
            type: try r.string("type"),
            baseJobTemplate: try r.json("base_job_template"),
            isPaused: try r.bool("is_paused"),
            concurrencyLimit: try r.optInt("concurrency_limit"),
            status: try r.string("status"),
            defaultQueueId: try r.optUUID("default_queue_id"),
            storageConfiguration: try r.json("storage_configuration"),
            activeSlots: try r.optInt("active_slots")
        )
    }

    /// A pool's row with its active slots (its queues' PENDING and RUNNING runs) when it has a
    /// concurrency limit, as the reference answers them: for the reads that answer a pool.
    static let selectPoolWithSlots = """
        SELECT work_pool.*, CASE WHEN work_pool.concurrency_limit IS NULL THEN NULL ELSE (SELECT count(*) FROM flow_run
        JOIN work_queue slot_queue ON slot_queue.id = flow_run.work_queue_id
        WHERE slot_queue.work_pool_id = work_pool.id AND flow_run.state_type IN ('PENDING', 'RUNNING')) END AS active_slots FROM work_pool
        """

    /// A pool's row without the slot count, for lookups on the write and poll paths.
    static let selectPool = "SELECT work_pool.*, NULL AS active_slots FROM work_pool"

    /// A queue's row with its pool's name and its active slots when it has a concurrency limit.
    static let selectQueue = """
        SELECT work_queue.*, work_pool.name AS pool_name, CASE WHEN work_queue.concurrency_limit IS NULL THEN NULL ELSE (SELECT count(*)
        FROM flow_run WHERE flow_run.work_queue_id = work_queue.id AND flow_run.state_type IN ('PENDING', 'RUNNING')) END AS active_slots
        FROM work_queue JOIN work_pool ON work_pool.id = work_queue.work_pool_id
        """

    static func decodeQueue(_ r: any SQLRow) throws -> WorkQueue {
        WorkQueue(
            id: try r.uuid("id"),
            created: try r.timestamp("created"),
            updated: try r.timestamp("updated"),
            name: try r.string("name"),
            description: try r.optString("description"),
            isPaused: try r.bool("is_paused"),
            concurrencyLimit: try r.optInt("concurrency_limit"),
            priority: try r.int("priority"),
            workPoolId: try r.uuid("work_pool_id"),
            lastPolled: try r.optTimestamp("last_polled"),
            workPoolName: try r.string("pool_name"),
            status: try r.string("status"),
            activeSlots: try r.optInt("active_slots")
        )
    }

    static func poolNotFound(_ name: String) -> StoreError { .notFound("Work pool \"\(name)\" not found.") }
    static func queueNotFound(_ pool: String, _ queue: String) -> StoreError { .notFound("Work pool queue '\(pool)/\(queue)' not found.") }

    static func findPool(_ db: any SQLDatabase, name: String, withSlots: Bool = false) async throws -> WorkPool? {
        try await db.raw("\(unsafeRaw: withSlots ? selectPoolWithSlots : selectPool) WHERE name = \(bind: name)").first().map(decodePool)
    }

    /// Creates a pool and its `default` queue.
    public func create(_ c: WorkPoolCreate, now: Timestamp = .now()) async throws -> WorkPool {
        if c.name.lowercased().hasPrefix("prefect") {
            throw StoreError.forbidden("Work pools starting with 'Prefect' are reserved for internal use.")
        }
        return try await backend.write { db in
            if try await Self.findPool(db, name: c.name) != nil { throw StoreError.conflict("A work pool with this name already exists.") }
            let id = UUID()
            var cols = Columns()
            cols.set("id", id.lowercased)
            cols.set("created", now.microseconds)
            cols.set("updated", now.microseconds)
            cols.set("name", c.name)
            cols.set("description", c.description)
            cols.set("type", c.type)
            cols.set("base_job_template", c.baseJobTemplate.jsonText)
            cols.set("is_paused", c.isPaused ? 1 : 0)
            cols.set("concurrency_limit", c.concurrencyLimit)
            cols.set("status", "NOT_READY")
            cols.set("storage_configuration", c.storageConfiguration.jsonText)
            try await db.raw(cols.insert(into: "work_pool")).run()
            var queue = WorkQueueCreate(name: "default")
            queue.description = "The work pool's default queue."
            queue.priority = 1
            let q = try await Self.insertQueue(db, poolId: id, queue, now: now)
            try await db.raw("UPDATE work_pool SET default_queue_id = \(bind: q.lowercased) WHERE id = \(bind: id.lowercased)").run()
            guard let pool = try await Self.findPool(db, name: c.name, withSlots: true) else { throw StoreError.integrity }
            return pool
        }
    }

    /// The pool with this name.
    public func get(name: String) async throws -> WorkPool? {
        try await backend.read { db in try await Self.findPool(db, name: name, withSlots: true) }
    }

    static func insertQueue(_ db: any SQLDatabase, poolId: UUID, _ c: WorkQueueCreate, now: Timestamp) async throws -> UUID {
        let existing = try await db.raw("SELECT id, priority FROM work_queue WHERE work_pool_id = \(bind: poolId.lowercased) ORDER BY priority").all()
            .map { (try $0.string("id"), try $0.int("priority")) }
        let priority: Int
        if let p = c.priority {
            priority = p
            // Shift the queues in the way up by one, as far as they collide.
            var next = p
            for (id, prio) in existing where prio >= p {
                guard prio == next else { break }
                try await db.raw("UPDATE work_queue SET priority = \(bind: prio + 1) WHERE id = \(bind: id)").run()
                next += 1
            }
        } else {
            let taken = existing.map(\.1)
            priority = taken.enumerated().first(where: { $0.offset + 1 != $0.element })?.offset.advanced(by: 1) ?? ((taken.max() ?? 0) + 1)
        }
        let id = UUID()
        var cols = Columns()
        cols.set("id", id.lowercased)
        cols.set("created", now.microseconds)
        cols.set("updated", now.microseconds)
        cols.set("name", c.name)
        cols.set("description", c.description)
        cols.set("is_paused", c.isPaused ? 1 : 0)
        cols.set("concurrency_limit", c.concurrencyLimit)
        cols.set("priority", priority)
        cols.set("work_pool_id", poolId.lowercased)
        cols.set("status", "NOT_READY")
        try await db.raw(cols.insert(into: "work_queue")).run()
        return id
    }

    /// Creates a queue in a pool.
    public func createQueue(pool: String, _ c: WorkQueueCreate, now: Timestamp = .now()) async throws -> WorkQueue {
        try await backend.write { db in
            guard let p = try await Self.findPool(db, name: pool) else { throw Self.poolNotFound(pool) }
            if try await db.raw("SELECT 1 FROM work_queue WHERE work_pool_id = \(bind: p.id.lowercased) AND name = \(bind: c.name)").first() != nil {
                throw StoreError.conflict("A work queue with this name already exists in work pool {work_pool_name!r}.")
            }
            let id = try await Self.insertQueue(db, poolId: p.id, c, now: now)
            guard let q = try await db.raw("\(unsafeRaw: Self.selectQueue) WHERE work_queue.id = \(bind: id.lowercased)").first() else {
                throw StoreError.integrity
            }
            return try Self.decodeQueue(q)
        }
    }

    /// A queue by pool and queue name.
    public func getQueue(pool: String, name: String) async throws -> WorkQueue? {
        try await backend.read { db in
            try await db.raw("\(unsafeRaw: Self.selectQueue) WHERE work_pool.name = \(bind: pool) AND work_queue.name = \(bind: name)").first().map(
                Self.decodeQueue
            )
        }
    }

    /// Queues of a pool matching a `WorkQueueFilter`, by priority.
    public func filterQueues(pool: String, _ q: ReadWorkQueuesQuery) async throws -> [WorkQueue] {
        let sql: SQLQueryString =
            "\(unsafeRaw: Self.selectQueue) WHERE work_pool.name = \(bind: pool) AND \(compiler.compile(q.queues)) ORDER BY work_queue.priority ASC, work_queue.name ASC LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
        return try await backend.read { db in
            guard try await Self.findPool(db, name: pool) != nil else { throw Self.poolNotFound(pool) }
            return try await db.raw(sql).all().map(Self.decodeQueue)
        }
    }

    /// Pools matching a `WorkPoolFilter`, by name.
    public func filter(_ q: SimpleFilterQuery) async throws -> [WorkPool] {
        let sql: SQLQueryString =
            "\(unsafeRaw: Self.selectPoolWithSlots) WHERE \(compiler.compile(q.condition)) ORDER BY work_pool.name LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
        return try await backend.read { db in try await db.raw(sql).all().map(Self.decodePool) }
    }

    /// Queues of every pool matching a `WorkQueueFilter`, by name.
    public func filterAllQueues(_ q: SimpleFilterQuery) async throws -> [WorkQueue] {
        let sql: SQLQueryString =
            "\(unsafeRaw: Self.selectQueue) WHERE \(compiler.compile(q.condition)) ORDER BY work_queue.name, work_queue.id LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
        return try await backend.read { db in try await db.raw(sql).all().map(Self.decodeQueue) }
    }

    /// A queue by id.
    public func getQueue(id: UUID) async throws -> WorkQueue? {
        try await backend.read { db in
            try await db.raw("\(unsafeRaw: Self.selectQueue) WHERE work_queue.id = \(bind: id.lowercased)").first().map(Self.decodeQueue)
        }
    }

    /// The queue id a run created with `work_pool_name` (and maybe `work_queue_name`) goes to.
    static func resolveQueue(_ db: any SQLDatabase, pool: String, queue: String?) async throws -> UUID {
        if let queue {
            guard
                let row = try await db.raw(
                    "SELECT work_queue.id FROM work_queue JOIN work_pool ON work_pool.id = work_queue.work_pool_id WHERE work_pool.name = \(bind: pool) AND work_queue.name = \(bind: queue)"
                ).first()
            else {
                throw queueNotFound(pool, queue)
            }
            return try row.uuid("id")
        }
        guard let p = try await findPool(db, name: pool), let q = p.defaultQueueId else { throw poolNotFound(pool) }
        return q
    }
}
