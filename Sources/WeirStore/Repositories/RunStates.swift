import Foundation
import SQLKit
import WeirModels
import WeirOrchestration

/// Applying a state proposal to a flow run or task run inside a write transaction: the policy
/// decides, then the new state row, the run's bookkeeping and its denormalised state commit together.
enum RunStates {
    /// Table names for a run kind.
    static func tables(_ kind: RunKind) -> (run: String, state: String, fk: String) {
        kind == .flow ? ("flow_run", "flow_run_state", "flow_run_id") : ("task_run", "task_run_state", "task_run_id")
    }

    /// Loads what orchestration needs of a run, locked for this transaction (SQLite's single
    /// writer; on PostgreSQL a row lock, so a concurrent proposal for the same run waits for this
    /// one and is then retried against the state it wrote).
    static func load(_ db: any SQLDatabase, kind: RunKind, id: UUID) async throws -> (RunBookkeeping, State?)? {
        let t = tables(kind)
        guard let r = try await db.raw("SELECT * FROM \(ident: t.run) WHERE id = \(bind: id.lowercased)\(unsafeRaw: db.rowLock)").first() else {
            return nil
        }
        var b = RunBookkeeping(id: id, kind: kind)
        if kind == .flow {
            b.parentTaskRunId = try r.optUUID("parent_task_run_id")
            b.deploymentId = try r.optUUID("deployment_id")
            b.infrastructurePid = try r.optString("infrastructure_pid")
            b.flowRunPolicy = try FlowRunPolicy(stored: r.object("empirical_policy"))
        } else {
            b.flowRunId = try r.optUUID("flow_run_id")
            b.flowRunRunCount = try r.int("flow_run_run_count")
            b.taskRetries = try TaskRetries(stored: r.object("empirical_policy"))
        }
        b.stateType = try r.stateType("state_type")
        b.stateName = try r.optString("state_name")
        b.stateTimestamp = try r.optTimestamp("state_timestamp")
        b.startTime = try r.optTimestamp("start_time")
        b.endTime = try r.optTimestamp("end_time")
        b.totalRunTime = try r.double("total_run_time")
        b.runCount = try r.int("run_count")
        b.expectedStartTime = try r.optTimestamp("expected_start_time")
        b.nextScheduledStartTime = try r.optTimestamp("next_scheduled_start_time")
        return (b, try r.optObject("state").map(State.init(stored:)))
    }

    /// Proposes a state for a run and writes the outcome; nil when the run does not exist.
    /// `now` nil stamps the state with the clock read once the run is locked, so a run's states are
    /// stamped in the order they are written, whichever process writes them.
    static func propose(
        _ db: any SQLDatabase,
        kind: RunKind,
        id: UUID,
        proposal: StateCreate,
        force: Bool,
        now requested: Timestamp?,
        policy override: Policy? = nil
    ) async throws -> OrchestrationResult? {
        guard let (run, initial) = try await load(db, kind: kind, id: id) else { return nil }
        let now = requested ?? .now()
        let proposal = proposal.defaultingScheduledTime(to: now)
        let proposed = State(
            id: UUID(),
            type: proposal.type,
            name: proposal.name ?? proposal.type.defaultName,
            timestamp: now,
            message: proposal.message,
            data: proposal.data,
            stateDetails: proposal.stateDetails
        )
        var t = Transition(run: run, initial: initial, proposed: proposed, now: now)
        let policy = override ?? Policies.forProposal(kind: kind, force: force)
        if kind == .task, !force {
            if let flowRunId = run.flowRunId,
                let row = try await db.raw("SELECT run_count, state FROM flow_run WHERE id = \(bind: flowRunId.lowercased)").first()
            {
                t.flowRun = EnclosingFlowRun(
                    id: flowRunId,
                    runCount: try row.int("run_count"),
                    state: try row.optObject("state").map(State.init(stored:))
                )
            }
            if proposal.type == .RUNNING, let key = proposal.stateDetails.cacheKey, proposal.stateDetails.refreshCache != true {
                t.cachedState = try await cachedState(db, key: key, now: now)
            }
        }
        policy.apply(to: &t)
        guard let written = t.proposed else {
            return OrchestrationResult(state: initial, status: t.status, reason: t.reason, delaySeconds: t.delaySeconds, wroteState: false)
        }
        try await write(db, kind: kind, run: t.run, state: written, previousPolicy: run.flowRunPolicy, now: now)
        for effect in t.effects {
            switch effect {
            case .cacheState(let key, let expiration, let stateId):
                var cols = Columns()
                cols.set("id", UUID().lowercased)
                cols.set("created", now.microseconds)
                cols.set("cache_key", key)
                cols.set("cache_expiration", expiration.stored)
                cols.set("task_run_state_id", stateId.lowercased)
                try await db.raw(cols.insert(into: "task_run_state_cache")).run()
            }
        }
        if kind == .flow { try await FlowRunEvents.emit(db, runId: id, initial: initial, validated: written, now: now) }
        if kind == .flow, let parent = t.run.parentTaskRunId {
            var mirrored = StateCreate(
                type: written.type,
                name: written.name,
                message: written.message,
                data: written.data,
                stateDetails: written.stateDetails
            )
            mirrored.stateDetails.childFlowRunId = id
            mirrored.stateDetails.taskRunId = nil
            mirrored.stateDetails.flowRunId = nil
            _ = try await propose(db, kind: .task, id: parent, proposal: mirrored, force: true, now: now)
        }
        return OrchestrationResult(state: written, status: t.status, reason: t.reason, delaySeconds: t.delaySeconds, wroteState: true)
    }

    /// The newest unexpired state cached under a key.
    static func cachedState(_ db: any SQLDatabase, key: String, now: Timestamp) async throws -> State? {
        let sql: SQLQueryString = """
            SELECT s.id, s.type, s.name, s.timestamp, s.message, s.data, s.state_details FROM task_run_state_cache c
            JOIN task_run_state s ON s.id = c.task_run_state_id
            WHERE c.cache_key = \(bind: key) AND (c.cache_expiration IS NULL OR c.cache_expiration > \(bind: now.microseconds))
            ORDER BY c.created DESC LIMIT 1
            """
        return try await db.raw(sql).first().flatMap(StateHistoryRepository.decode)
    }

    /// Adds a state to a run's history; with `ignoreRepeat`, a state id already recorded is skipped.
    static func insertStateRow(_ db: any SQLDatabase, kind: RunKind, runId: UUID, state: State, ignoreRepeat: Bool = false) async throws {
        let row = stateColumns(kind: kind, runId: runId, state: state)
        try await db.raw(row.insert(into: tables(kind).state, suffix: ignoreRepeat ? " ON CONFLICT (id) DO NOTHING" : "")).run()
    }

    /// The columns of a state history row.
    static func stateColumns(kind: RunKind, runId: UUID, state: State) -> Columns {
        let t = tables(kind)
        var row = Columns()
        row.set("id", state.id.lowercased)
        row.set(t.fk, runId.lowercased)
        row.set("type", state.type.rawValue)
        row.set("name", state.name)
        row.set("timestamp", state.timestamp.microseconds)
        row.set("message", state.message)
        row.set("data", state.data?.jsonText)
        row.set("state_details", String(decoding: state.stateDetails.jsonBytes(), as: UTF8.self))
        return row
    }

    /// Inserts the state row and updates the run's bookkeeping and denormalised state.
    static func write(
        _ db: any SQLDatabase,
        kind: RunKind,
        run: RunBookkeeping,
        state: State,
        previousPolicy: FlowRunPolicy?,
        now: Timestamp
    ) async throws {
        let t = tables(kind)
        try await insertStateRow(db, kind: kind, runId: run.id, state: state)

        var cols = Columns()
        cols.set("updated", now.microseconds)
        cols.set("state_id", state.id.lowercased)
        cols.set("state_type", state.type.rawValue)
        cols.set("state_name", state.name)
        cols.set("state_timestamp", state.timestamp.microseconds)
        cols.set("start_time", run.startTime.stored)
        cols.set("end_time", run.endTime.stored)
        cols.set("total_run_time", run.totalRunTime)
        cols.set("run_count", run.runCount)
        cols.set("expected_start_time", run.expectedStartTime.stored)
        cols.set("next_scheduled_start_time", run.nextScheduledStartTime.stored)
        cols.set("state", String(decoding: state.jsonBytes(), as: UTF8.self))
        if kind == .task { cols.set("flow_run_run_count", run.flowRunRunCount) }
        if let policy = run.flowRunPolicy, policy != previousPolicy {
            cols.set("empirical_policy", String(decoding: policy.jsonBytes(), as: UTF8.self))
        }
        try await db.raw(cols.update(t.run, id: run.id)).run()
    }
}

/// Reading a run's state history.
public struct StateHistoryRepository: Sendable {
    let backend: any StoreBackend

    static func decode(_ r: any SQLRow) throws -> State? {
        guard let type = try r.stateType("type") else { return nil }
        return State(
            id: try r.uuid("id"),
            type: type,
            name: try r.string("name"),
            timestamp: try r.timestamp("timestamp"),
            message: try r.optString("message"),
            data: try r.optJSONValue("data"),
            stateDetails: try StateDetails(stored: r.object("state_details"))
        )
    }

    /// The states of a run, oldest first.
    public func history(kind: RunKind, runId: UUID) async throws -> [State] {
        let t = RunStates.tables(kind)
        return try await backend.read { db in
            try await db.raw("SELECT * FROM \(ident: t.state) WHERE \(ident: t.fk) = \(bind: runId.lowercased) ORDER BY timestamp ASC, id ASC").all()
                .compactMap(Self.decode)
        }
    }

    /// One state by id.
    public func get(kind: RunKind, id: UUID) async throws -> State? {
        let t = RunStates.tables(kind)
        return try await backend.read { db in
            try await db.raw("SELECT * FROM \(ident: t.state) WHERE id = \(bind: id.lowercased)").first().flatMap(Self.decode)
        }
    }
}
