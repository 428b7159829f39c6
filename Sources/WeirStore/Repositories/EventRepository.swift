import Foundation
import SQLKit
import WeirModels
import WeirOrchestration

/// Events: stored as they arrive (a repeated id is ignored), and task runs recorded from them.
public struct EventRepository: Sendable {
    let backend: any StoreBackend

    static func decode(_ r: any SQLRow) throws -> Event {
        let related: [JSONValue]
        guard case .array(let items) = try r.jsonValue("related") else { throw StoredDataError("related", "not a list") }
        related = items
        return Event(
            occurred: try r.timestamp("occurred"),
            event: try r.string("event"),
            resource: try r.jsonValue("resource"),
            related: related,
            payload: try r.jsonValue("payload"),
            id: try r.uuid("id"),
            follows: try r.optUUID("follows"),
            received: try r.timestamp("received")
        )
    }

    /// Inserts events inside an open transaction.
    static func insert(_ db: any SQLDatabase, _ events: [Event]) async throws {
        for e in events {
            var cols = Columns()
            cols.set("id", e.id.lowercased)
            cols.set("occurred", e.occurred.microseconds)
            cols.set("event", e.event)
            cols.set("resource_id", e.resourceId)
            cols.set("resource", e.resource.jsonText)
            cols.set("related", JSONValue.array(e.related).jsonText)
            cols.set("payload", e.payload.jsonText)
            cols.set("follows", e.follows.stored)
            cols.set("received", e.received.microseconds)
            try await db.raw(cols.insert(into: "event", suffix: " ON CONFLICT (id) DO NOTHING")).run()
        }
        if db.dialect.name != "sqlite", !events.isEmpty { try await PostgresBackend.announce(db, events.map(\.id)) }
    }

    /// Calls `handler` with the events other replicas store, as they commit (PostgreSQL), until
    /// cancelled or the connection breaks; returns at once on SQLite.
    public func followOtherReplicas(_ handler: @escaping @Sendable ([Event]) async -> Void) async throws {
        let backend = self.backend
        try await backend.followEventsOfOtherProcesses { ids in
            let query: SQLQueryString = "SELECT * FROM event WHERE id IN (\(SQLList(ids.map { SQLBind($0.lowercased) }))) ORDER BY occurred, id"
            // Deliberate: a failed read (the database restarting) must not end the listener; the
            // events are stored, so only their live relay to this replica's subscribers is missed.
            guard let events = try? await backend.read({ db in try await db.raw(query).all().map(Self.decode) }), !events.isEmpty else { return }
            await handler(events)
        }
    }

    /// Stores client events and records the task runs they describe, in one transaction.
    public func ingest(_ events: [Event], now: Timestamp = .now()) async throws {
        try await backend.write { db in
            try await Self.insert(db, events)
            for event in events {
                guard let record = TaskRunEventRecord.from(event) else { continue }
                try await TaskRunRecorder.record(db, record, now: now)
            }
        }
    }
}

/// Writes task runs and their states from events as the reference's task run recorder does: the
/// run is inserted or updated by id (or flow run, task key and dynamic key), but only a newer
/// state overwrites it, so events may arrive in any order; each state is recorded once.
enum TaskRunRecorder {
    /// The `payload.task_run` keys that are columns, and how each is stored.
    static let columns: [(String, Kind)] = [
        ("name", .text), ("task_key", .text), ("dynamic_key", .text), ("cache_key", .text), ("cache_expiration", .time),
        ("task_version", .text), ("empirical_policy", .json), ("tags", .json), ("labels", .json), ("task_inputs", .json),
        ("run_count", .integer), ("flow_run_run_count", .integer), ("expected_start_time", .time),
        ("next_scheduled_start_time", .time), ("start_time", .time), ("end_time", .time), ("total_run_time", .real),
    ]

    enum Kind { case text, json, integer, real, time }

    static func value(_ v: JSONValue, _ kind: Kind) -> (any Encodable & Sendable)? {
        switch (kind, v) {
        case (_, .null): return nil
        case (.text, .string(let s)): return s
        case (.json, _): return v.jsonText
        case (.integer, .number(let n)): return Int(n) ?? Double(n).map { Int($0) }
        case (.real, .number(let n)): return Double(n)
        case (.time, .string(let s)): return Timestamp(iso8601: s)?.microseconds
        default: return nil
        }
    }

    static func record(_ db: any SQLDatabase, _ record: TaskRunEventRecord, now: Timestamp) async throws {
        // The natural key (flow run, task key, dynamic key) wins: an existing row keeps its id.
        var existing: (any SQLRow)?
        if let flowRunId = record.flowRunId,
            case .string(let key)? = JSONValue.object(record.fields)["task_key"],
            case .string(let dyn)? = JSONValue.object(record.fields)["dynamic_key"]
        {
            existing = try await db.raw(
                "SELECT id, state_timestamp FROM task_run WHERE flow_run_id = \(bind: flowRunId.lowercased) AND task_key = \(bind: key) AND dynamic_key = \(bind: dyn)"
            ).first()
        }
        if existing == nil {
            existing = try await db.raw("SELECT id, state_timestamp FROM task_run WHERE id = \(bind: record.taskRunId.lowercased)").first()
        }
        if let flowRunId = record.flowRunId, try await db.raw("SELECT 1 FROM flow_run WHERE id = \(bind: flowRunId.lowercased)").first() == nil {
            return  // the flow run is unknown or deleted: the reference discards the event
        }
        let id = try existing?.uuid("id") ?? record.taskRunId
        var state = record.state
        state.stateDetails.taskRunId = id
        var cols = Columns()
        let fields = JSONValue.object(record.fields)
        for (key, kind) in columns {
            if let v = fields[key] { cols.set(key, value(v, kind)) }
        }
        cols.set("state_id", state.id.lowercased)
        cols.set("state_type", state.type.rawValue)
        cols.set("state_name", state.name)
        cols.set("state_timestamp", state.timestamp.microseconds)
        cols.set("state", String(decoding: state.jsonBytes(), as: UTF8.self))
        cols.set("updated", now.microseconds)
        if let existing {
            if let current = try existing.optTimestamp("state_timestamp"), current >= state.timestamp {
                // An older event: only its state row is recorded below.
            } else {
                try await db.raw(cols.update("task_run", id: id)).run()
            }
        } else {
            cols.set("id", id.lowercased)
            cols.set("created", now.microseconds)
            cols.set("flow_run_id", record.flowRunId.stored)
            if fields["name"] == nil { cols.set("name", "") }
            if fields["task_key"] == nil { cols.set("task_key", "") }
            if fields["dynamic_key"] == nil { cols.set("dynamic_key", "") }
            try await db.raw(cols.insert(into: "task_run")).run()
        }
        try await RunStates.insertStateRow(db, kind: .task, runId: id, state: state, ignoreRepeat: true)
    }
}

extension EventRepository {
    /// Events matching a filter, in its order, and how many match in all. The time window, names
    /// and resource ids narrow the read through indexes; labels, related resources and text are
    /// checked on the decoded events.
    public func filter(_ f: EventFilter, limit: Int, offset: Int) async throws -> (events: [Event], total: Int) {
        let all = try await matching(f)
        let page = Array(all.dropFirst(offset).prefix(limit))
        return (page, all.count)
    }

    /// Every event matching a filter, in the filter's order.
    public func matching(_ f: EventFilter) async throws -> [Event] {
        var sql: SQLQueryString = "SELECT * FROM event WHERE occurred >= \(bind: f.since.microseconds) AND occurred <= \(bind: f.until.microseconds)"
        // (`SQLBind.group` renders its own parentheses: `IN ((?, ?))` would be a row value.)
        if let names = f.names, !names.isEmpty { sql = sql + " AND event IN \(SQLBind.group(names))" }
        if let ids = f.resourceIds, !ids.isEmpty { sql = sql + " AND resource_id IN \(SQLBind.group(ids))" }
        if let ids = f.ids, !ids.isEmpty { sql = sql + " AND id IN \(SQLBind.group(ids.map(\.lowercased)))" }
        sql = sql + (f.ascending ? " ORDER BY occurred ASC, id ASC" : " ORDER BY occurred DESC, id DESC")
        let query = sql
        return try await backend.read { db in try await db.raw(query).all().map(Self.decode).filter(f.includes) }
    }
}
