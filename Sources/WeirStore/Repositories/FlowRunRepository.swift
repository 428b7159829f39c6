import Foundation
import SQLKit
import WeirModels
import WeirOrchestration

/// Flow runs: creation (with idempotency, queue resolution and labels), state changes, and Read
/// Flow Runs.
public struct FlowRunRepository: Sendable {
    let backend: any StoreBackend
    var compiler: FilterCompiler { FilterCompiler(dialect: backend.dialect) }

    /// The columns every flow run read selects: the row plus its queue and pool through `work_queue_id`.
    static let select = """
        SELECT flow_run.*, work_queue.name AS wq_name, work_pool.id AS wp_id, work_pool.name AS wp_name
        FROM flow_run LEFT JOIN work_queue ON work_queue.id = flow_run.work_queue_id
        LEFT JOIN work_pool ON work_pool.id = work_queue.work_pool_id
        """

    static func decode(_ r: any SQLRow) throws -> FlowRun {
        let queueName = try r.optString("wq_name")
        return FlowRun(
            id: try r.uuid("id"),
            created: try r.timestamp("created"),
            updated: try r.timestamp("updated"),
            name: try r.string("name"),
            flowId: try r.uuid("flow_id"),
            stateId: try r.optUUID("state_id"),
            deploymentId: try r.optUUID("deployment_id"),
            deploymentVersion: try r.optString("deployment_version"),
            workQueueId: try r.optUUID("work_queue_id"),
            workQueueName: try queueName ?? r.optString("work_queue_name"),
            flowVersion: try r.optString("flow_version"),
            parameters: try r.json("parameters"),
            idempotencyKey: try r.optString("idempotency_key"),
            context: try r.json("context"),
            empiricalPolicy: try r.json("empirical_policy"),
            tags: try r.tags("tags"),
            labels: try r.json("labels"),
            parentTaskRunId: try r.optUUID("parent_task_run_id"),
            stateType: try r.stateType("state_type"),
            stateName: try r.optString("state_name"),
            stateTimestamp: try r.optTimestamp("state_timestamp"),
            runCount: try r.int("run_count"),
            expectedStartTime: try r.optTimestamp("expected_start_time"),
            nextScheduledStartTime: try r.optTimestamp("next_scheduled_start_time"),
            startTime: try r.optTimestamp("start_time"),
            endTime: try r.optTimestamp("end_time"),
            totalRunTime: try r.double("total_run_time"),
            autoScheduled: try r.bool("auto_scheduled"),
            infrastructureDocumentId: try r.optUUID("infrastructure_document_id"),
            infrastructurePid: try r.optString("infrastructure_pid"),
            createdBy: try r.optJSON("created_by"),
            workPoolId: try r.optUUID("wp_id"),
            workPoolName: try r.optString("wp_name"),
            state: try r.optJSON("state"),
            jobVariables: try r.optJSON("job_variables")
        )
    }

    static func find(_ db: any SQLDatabase, _ id: UUID) async throws -> FlowRun? {
        try await db.raw("\(unsafeRaw: select) WHERE flow_run.id = \(bind: id.lowercased)").first().map(decode)
    }

    /// The flow run with this id.
    public func get(_ id: UUID) async throws -> FlowRun? {
        try await backend.read { db in try await Self.find(db, id) }
    }

    /// Creates a flow run (`POST /flow_runs/`); an idempotency key already used for the flow
    /// returns the existing run (`created` false).
    public func create(_ c: FlowRunCreate, createdBy: JSONValue?, now: Timestamp = .now()) async throws -> (FlowRun, created: Bool) {
        try await backend.write { db in
            guard let flowId = c.flowId else { throw StoreError.integrity }
            guard let flow = try await FlowRepository.find(db, "id = \(bind: flowId.lowercased)") else { throw StoreError.integrity }
            var queueId: UUID?
            if let pool = c.workPoolName {
                queueId = try await WorkPoolRepository.resolveQueue(db, pool: pool, queue: c.workQueueName)
            }
            // A run naming an existing deployment is labelled as one created from it: the
            // deployment's labels and its flow (which may not be the run's), as the reference does.
            let labels: JSONValue
            if let depId = c.deploymentId,
                let dep = try await db.raw("SELECT labels, flow_id FROM deployment WHERE id = \(bind: depId.lowercased)").first()
            {
                let system = JSONValue.object([
                    ("prefect.flow.id", .string(try dep.uuid("flow_id").lowercased)),
                    ("prefect.deployment.id", .string(depId.lowercased)),
                ])
                labels = JSONObjectBuilder.merge([try dep.jsonValue("labels"), system, c.labels])
            } else {
                let system = JSONValue.object([("prefect.flow.id", .string(flowId.lowercased))])
                labels = JSONObjectBuilder.merge([try flow.labels.parsed(), system, c.labels])
            }
            return try await Self.insert(
                db,
                c,
                flowId: flowId,
                labels: labels,
                tags: c.tags,
                queueId: queueId,
                workQueueName: c.workQueueName,
                deploymentId: c.deploymentId,
                deploymentVersion: nil,
                createdBy: createdBy,
                defaultState: StateCreate(type: .PENDING),
                now: now
            )
        }
    }

    /// Inserts a run (or returns the one holding its idempotency key) and applies its first state with force.
    static func insert(
        _ db: any SQLDatabase,
        _ c: FlowRunCreate,
        flowId: UUID,
        labels: JSONValue,
        tags: [String],
        queueId: UUID?,
        workQueueName: String?,
        deploymentId: UUID?,
        deploymentVersion: String?,
        createdBy: JSONValue?,
        defaultState: StateCreate,
        now: Timestamp
    ) async throws -> (FlowRun, created: Bool) {
        if let key = c.idempotencyKey,
            let existing = try await db.raw(
                "\(unsafeRaw: select) WHERE flow_run.flow_id = \(bind: flowId.lowercased) AND flow_run.idempotency_key = \(bind: key)"
            ).first()
        {
            return (try decode(existing), false)
        }
        let id = UUID()
        var cols = Columns()
        cols.set("id", id.lowercased)
        cols.set("created", now.microseconds)
        cols.set("updated", now.microseconds)
        cols.set("name", (c.name?.isEmpty ?? true) ? NameGenerator.slug() : c.name!)
        cols.set("flow_id", flowId.lowercased)
        cols.set("deployment_id", deploymentId.stored)
        cols.set("deployment_version", deploymentVersion)
        cols.set("work_queue_id", queueId.stored)
        cols.set("work_queue_name", workQueueName)
        cols.set("flow_version", c.flowVersion)
        cols.set("parameters", c.parameters.jsonText)
        cols.set("idempotency_key", c.idempotencyKey)
        cols.set("context", c.context.jsonText)
        cols.set("empirical_policy", String(decoding: c.empiricalPolicy.jsonBytes(), as: UTF8.self))
        cols.set("tags", tagsJSON(tags))
        cols.set("labels", labels.jsonText)
        cols.set("parent_task_run_id", c.parentTaskRunId.stored)
        cols.set("infrastructure_document_id", c.infrastructureDocumentId.stored)
        cols.set("created_by", createdBy?.jsonText)
        cols.set("job_variables", c.jobVariables?.jsonText ?? (c.idempotencyKey == nil ? "{}" : nil))
        try await mapIntegrity { try await db.raw(cols.insert(into: "flow_run")).run() }
        _ = try await RunStates.propose(db, kind: .flow, id: id, proposal: c.state ?? defaultState, force: true, now: now)
        guard let run = try await find(db, id) else { throw StoreError.integrity }
        return (run, true)
    }

    /// Proposes a state (`POST /flow_runs/{id}/set_state`); nil when the run does not exist. The
    /// state is stamped with the clock read once the run is locked (unless `now` is given), so a
    /// run's states are stamped in the order they are written, whichever replica writes them.
    public func setState(_ id: UUID, _ request: SetStateRequest, now: Timestamp? = nil) async throws -> OrchestrationResult? {
        try await backend.write(locking: true) { db in
            try await RunStates.propose(db, kind: .flow, id: id, proposal: request.state, force: request.force, now: now)
        }
    }

    /// Deletes a run with its states, task runs and logs; false when it does not exist.
    public func delete(_ id: UUID) async throws -> Bool {
        try await backend.write { db in
            guard try await db.raw("SELECT 1 FROM flow_run WHERE id = \(bind: id.lowercased)").first() != nil else { return false }
            try await db.raw("DELETE FROM log WHERE flow_run_id = \(bind: id.lowercased)").run()
            try await db.raw("DELETE FROM flow_run WHERE id = \(bind: id.lowercased)").run()
            return true
        }
    }

    /// The SQL of a Read Flow Runs query.
    ///
    /// On SQLite the page is chosen first by row id alone (`pageSQL`) and the rows are read
    /// afterwards: a filter that matches many runs then sorts narrow index entries (`(state_type,
    /// id)` covers a state filter and its default order) instead of whole rows with their JSON, and
    /// a deep offset skips index entries instead of rows. The outer query sorts the page's rows
    /// again in the same order. PostgreSQL plans the plain query well (an index walk with a
    /// filter), so it keeps it.
    func sql(_ q: ReadFlowRunsQuery) -> SQLQueryString {
        let order = compiler.orderBy(q.sort.keys, now: .now())
        switch backend.dialect {
        case .sqlite:
            return "\(unsafeRaw: Self.select) WHERE flow_run.rowid IN (\(pageSQL(q))) ORDER BY \(order)"
        case .postgres:
            return
                "\(unsafeRaw: Self.select) WHERE \(compiler.compile(q.filter.condition)) ORDER BY \(order) LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
        }
    }

    /// SQLite: the row ids of a Read Flow Runs page, filtered, sorted and paged.
    func pageSQL(_ q: ReadFlowRunsQuery) -> SQLQueryString {
        "SELECT flow_run.rowid FROM flow_run WHERE \(compiler.compile(q.filter.condition)) ORDER BY \(compiler.orderBy(q.sort.keys, now: .now())) LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
    }

    /// SQLite, a task run filter: the page from the first runs in the sort order alone, probing
    /// each one's task runs. Sorts are total orders, so when the first `window` runs hold a full
    /// page of matches that page is the answer; otherwise (a rare task state, a page far down)
    /// the caller runs the whole query. The whole query lists every matching task run's flow run
    /// first: 235,000 FAILED task runs at 1,000,000 runs, 70-100 ms of SQL, where this takes 3-5.
    ///
    /// The window is walked in the sort's index, reading only row ids and run ids: the parts of
    /// the filter that test task runs alone (`AND`ed at the top) are probed there, and only the
    /// runs they keep are read for the rest of the filter and the sort (reading every run of the
    /// window made it 10 ms instead of 3 at 1,000,000 runs). The window is aliased `flow_run`, so
    /// the probes' `flow_run.id` is the window's. A filter whose task run tests are not such
    /// parts (none the reference's grammar builds) gets nil: the whole query.
    func probedPageSQL(_ q: ReadFlowRunsQuery) -> SQLQueryString? {
        guard backend.dialect == .sqlite, q.filter.condition.involves(.runTaskRuns), q.paging.limit > 0 else { return nil }
        let parts = q.filter.condition.conjuncts
        let probes = parts.filter { $0.testsOnly(through: .runTaskRuns) }
        guard !probes.isEmpty else { return nil }
        let rest = Condition.all(parts.filter { !$0.testsOnly(through: .runTaskRuns) })
        var probing = compiler
        probing.probesTaskRuns = true
        let order = compiler.orderBy(q.sort.keys, now: .now())
        let window = min(4 * (q.paging.limit + q.paging.offset) + 1_000, 20_000)
        let runs: SQLQueryString =
            "SELECT flow_run.rid FROM (SELECT flow_run.rowid AS rid, flow_run.id AS id FROM flow_run ORDER BY \(order) LIMIT \(bind: window)) AS flow_run WHERE \(probing.compile(Condition.all(probes)))"
        return
            "SELECT flow_run.rowid AS rid FROM flow_run WHERE flow_run.rowid IN (\(runs)) AND \(probing.compile(rest)) ORDER BY \(order) LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
    }

    /// Read Flow Runs: the runs matching a `POST /flow_runs/filter` body, sorted and paged.
    public func filter(_ q: ReadFlowRunsQuery) async throws -> [FlowRun] {
        try await backend.read { db in try await rows(q, db).map(Self.decode) }
    }

    /// Runs a Read Flow Runs query and fetches its rows without decoding them into runs: the
    /// database's own share of a request, for the benchmark. Returns the number of rows.
    public func fetchRows(_ q: ReadFlowRunsQuery) async throws -> Int {
        try await backend.read { db in try await rows(q, db).count }
    }

    /// The rows of a Read Flow Runs page (with a task run filter on SQLite, from the first runs
    /// in order when they hold a full page: ``probedPageSQL(_:)``).
    private func rows(_ q: ReadFlowRunsQuery, _ db: any SQLDatabase) async throws -> [any SQLRow] {
        if let probed = probedPageSQL(q) {
            let rowids = try await db.raw(probed).all().map { try $0.int("rid") }
            if rowids.count == q.paging.limit {
                let order = compiler.orderBy(q.sort.keys, now: .now())
                return try await db.raw("\(unsafeRaw: Self.select) WHERE flow_run.rowid IN (\(binds: rowids)) ORDER BY \(order)").all()
            }
        }
        return try await db.raw(sql(q)).all()
    }

    /// How many runs match a `POST /flow_runs/count` body.
    public func count(_ q: CountFlowRunsQuery) async throws -> Int {
        let query: SQLQueryString = "SELECT count(*) AS n FROM flow_run WHERE \(compiler.compile(q.filter.condition))"
        return try await backend.read { db in try await db.raw(query).first()?.int("n") ?? 0 }
    }

    /// The database's plan for a query (`EXPLAIN QUERY PLAN` details on SQLite, `EXPLAIN` lines
    /// on PostgreSQL, or `EXPLAIN ANALYZE` with `analyze`), for plan checks and docs. On PostgreSQL
    /// `withoutSequentialScans` asks for the plan with sequential scans disabled: whether an index
    /// can serve the query at all, whatever the table's current size.
    ///
    /// On SQLite `pageOnly` explains the query that picks the page's row ids (where the filtering
    /// and sorting happen; the rest reads at most `limit` rows by row id).
    public func explain(
        _ q: ReadFlowRunsQuery,
        analyze: Bool = false,
        withoutSequentialScans: Bool = false,
        pageOnly: Bool = false
    ) async throws -> [String] {
        let dialect = backend.dialect
        let prefix = dialect == .sqlite ? "EXPLAIN QUERY PLAN" : (analyze ? "EXPLAIN ANALYZE" : "EXPLAIN")
        let query: SQLQueryString = "\(unsafeRaw: prefix) \(pageOnly && dialect == .sqlite ? pageSQL(q) : sql(q))"
        let noSeqScan = withoutSequentialScans && dialect == .postgres
        return try await backend.read { db in
            if noSeqScan { try await db.raw("SET enable_seqscan = off").run() }
            let lines = try await db.raw(query).all().map { dialect == .sqlite ? try $0.string("detail") : try $0.string("QUERY PLAN") }
            if noSeqScan { try await db.raw("RESET enable_seqscan").run() }
            return lines
        }
    }

    /// SQLite, a task run filter: the plan of the query that first looks for the page among the
    /// first runs in order (``probedPageSQL(_:)``); nil when the body does not use it.
    public func explainProbe(_ q: ReadFlowRunsQuery) async throws -> [String]? {
        guard let probed = probedPageSQL(q) else { return nil }
        return try await backend.read { db in try await db.raw("EXPLAIN QUERY PLAN \(probed)").all().map { try $0.string("detail") } }
    }
}
