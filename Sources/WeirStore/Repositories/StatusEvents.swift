import Foundation
import SQLKit
import WeirModels

/// Readiness of deployments, work queues and work pools: the status changes the polls, heartbeats
/// and the foreman make, each recorded as the reference's `prefect.<kind>.ready` /
/// `.not-ready` event (and delivered to subscribers once the transaction commits).
enum StatusEvents {
    /// Records an event in the transaction.
    static func emit(_ db: any SQLDatabase, _ event: Event) async throws {
        try await EventRepository.insert(db, [event])
        EventCollector.current?.append(event)
    }

    static func resource(_ pairs: [(String, String)]) -> JSONValue { .object(pairs.map { ($0.0, JSONValue.string($0.1)) }) }

    /// A `prefect.<kind>.updated` event for the fields that changed (`{updated_fields, updates:
    /// {field: {from, to}}}`); nothing when none did.
    static func updated(
        _ db: any SQLDatabase,
        _ name: String,
        resource: JSONValue,
        related: [JSONValue],
        _ changed: [(String, JSONValue, JSONValue)],
        now: Timestamp
    ) async throws {
        guard !changed.isEmpty else { return }
        let updates = JSONValue.object(changed.map { ($0.0, .object([("from", $0.1), ("to", $0.2)])) })
        let payload = JSONValue.object([("updated_fields", .array(changed.map { .string($0.0) })), ("updates", updates)])
        try await emit(
            db,
            Event(occurred: now, event: name, resource: resource, related: related, payload: payload, id: UUID(), follows: nil, received: now)
        )
    }

    /// A work pool as the reference names it in events, as the resource or a related one.
    static func poolResource(id: UUID, name: String, type: String) -> JSONValue {
        resource([
            ("prefect.resource.id", "prefect.work-pool.\(id.lowercased)"), ("prefect.resource.name", name), ("prefect.work-pool.type", type),
            ("prefect.resource.role", "work-pool"),
        ])
    }

    /// `prefect.deployment.ready` / `.not-ready`, related to its flow, work queue and pool.
    static func deployment(_ db: any SQLDatabase, _ id: UUID, ready: Bool, now: Timestamp) async throws {
        let sql: SQLQueryString = """
            SELECT deployment.name, flow.id AS flow_id, flow.name AS flow_name, work_queue.id AS wq_id, work_queue.name AS wq_name,
                   work_pool.id AS wp_id, work_pool.name AS wp_name, work_pool.type AS wp_type
            FROM deployment JOIN flow ON flow.id = deployment.flow_id
            LEFT JOIN work_queue ON work_queue.id = deployment.work_queue_id
            LEFT JOIN work_pool ON work_pool.id = work_queue.work_pool_id
            WHERE deployment.id = \(bind: id.lowercased)
            """
        guard let row = try await db.raw(sql).first() else { return }
        var related: [JSONValue] = [
            resource([
                ("prefect.resource.id", "prefect.flow.\(try row.uuid("flow_id").lowercased)"),
                ("prefect.resource.name", try row.string("flow_name")), ("prefect.resource.role", "flow"),
            ])
        ]
        if let q = try row.optUUID("wq_id") {
            related.append(
                resource([
                    ("prefect.resource.id", "prefect.work-queue.\(q.lowercased)"), ("prefect.resource.name", try row.string("wq_name")),
                    ("prefect.resource.role", "work-queue"),
                ])
            )
        }
        if let p = try row.optUUID("wp_id") {
            related.append(poolResource(id: p, name: try row.string("wp_name"), type: try row.string("wp_type")))
        }
        try await emit(
            db,
            Event(
                occurred: now,
                event: "prefect.deployment.\(ready ? "ready" : "not-ready")",
                resource: resource([
                    ("prefect.resource.id", "prefect.deployment.\(id.lowercased)"), ("prefect.resource.name", try row.string("name")),
                ]),
                related: related,
                payload: .emptyObject,
                id: UUID(),
                follows: nil,
                received: now
            )
        )
    }

    /// `prefect.work-queue.ready` / `.not-ready`, related to its pool.
    static func workQueue(_ db: any SQLDatabase, _ id: UUID, ready: Bool, now: Timestamp) async throws {
        let sql: SQLQueryString = """
            SELECT work_queue.name, work_pool.id AS wp_id, work_pool.name AS wp_name, work_pool.type AS wp_type
            FROM work_queue JOIN work_pool ON work_pool.id = work_queue.work_pool_id WHERE work_queue.id = \(bind: id.lowercased)
            """
        guard let row = try await db.raw(sql).first() else { return }
        let pool = poolResource(id: try row.uuid("wp_id"), name: try row.string("wp_name"), type: try row.string("wp_type"))
        try await emit(
            db,
            Event(
                occurred: now,
                event: "prefect.work-queue.\(ready ? "ready" : "not-ready")",
                resource: resource([
                    ("prefect.resource.id", "prefect.work-queue.\(id.lowercased)"), ("prefect.resource.name", try row.string("name")),
                    ("prefect.resource.role", "work-queue"),
                ]),
                related: [pool],
                payload: .emptyObject,
                id: UUID(),
                follows: nil,
                received: now
            )
        )
    }

    /// `prefect.work-pool.ready`, `.not-ready` or `.paused` (the status in kebab case).
    static func workPool(_ db: any SQLDatabase, _ pool: WorkPool, status: String, now: Timestamp) async throws {
        try await emit(
            db,
            Event(
                occurred: now,
                event: "prefect.work-pool.\(status.lowercased().replacingOccurrences(of: "_", with: "-"))",
                resource: resource([
                    ("prefect.resource.id", "prefect.work-pool.\(pool.id.lowercased)"), ("prefect.resource.name", pool.name),
                    ("prefect.work-pool.type", pool.type),
                ]),
                related: [],
                payload: .emptyObject,
                id: UUID(),
                follows: nil,
                received: now
            )
        )
    }

    /// Marks deployments READY with `last_polled` (a runner's or worker's poll); each that was
    /// NOT_READY gets its `ready` event. `updated` is left as it is, as the reference leaves it.
    static func markDeploymentsPolled(_ db: any SQLDatabase, where condition: SQLQueryString, now: Timestamp) async throws {
        let unready = try await db.raw("SELECT id FROM deployment WHERE \(condition) AND status = 'NOT_READY'").all().map { try $0.uuid("id") }
        try await db.raw("UPDATE deployment SET last_polled = \(bind: now.microseconds), status = 'READY' WHERE \(condition)").run()
        for id in unready { try await deployment(db, id, ready: true, now: now) }
    }
}
