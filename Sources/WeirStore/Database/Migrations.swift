import Foundation
import Logging
import SQLKit

/// Versioned schema migrations, applied in order on start; each runs once, in a transaction.
enum Migrations {
    /// The SQLite schema, one migration per entry.
    static let sqlite: [[String]] = [
        [
            """
            CREATE TABLE flow (
                id TEXT PRIMARY KEY, created INTEGER NOT NULL, updated INTEGER NOT NULL,
                name TEXT NOT NULL UNIQUE, tags TEXT NOT NULL DEFAULT '[]', labels TEXT NOT NULL DEFAULT '{}')
            """,
            """
            CREATE TABLE work_pool (
                id TEXT PRIMARY KEY, created INTEGER NOT NULL, updated INTEGER NOT NULL,
                name TEXT NOT NULL UNIQUE, description TEXT, type TEXT NOT NULL, base_job_template TEXT NOT NULL DEFAULT '{}',
                is_paused INTEGER NOT NULL DEFAULT 0, concurrency_limit INTEGER, status TEXT NOT NULL DEFAULT 'NOT_READY',
                default_queue_id TEXT, storage_configuration TEXT NOT NULL DEFAULT '{}')
            """,
            """
            CREATE TABLE work_queue (
                id TEXT PRIMARY KEY, created INTEGER NOT NULL, updated INTEGER NOT NULL,
                name TEXT NOT NULL, description TEXT, is_paused INTEGER NOT NULL DEFAULT 0, concurrency_limit INTEGER,
                priority INTEGER NOT NULL, work_pool_id TEXT NOT NULL REFERENCES work_pool(id) ON DELETE CASCADE,
                last_polled INTEGER, status TEXT NOT NULL DEFAULT 'NOT_READY', UNIQUE (work_pool_id, name))
            """,
            """
            CREATE TABLE deployment (
                id TEXT PRIMARY KEY, created INTEGER NOT NULL, updated INTEGER NOT NULL,
                name TEXT NOT NULL, version TEXT, description TEXT,
                flow_id TEXT NOT NULL REFERENCES flow(id) ON DELETE CASCADE, paused INTEGER NOT NULL DEFAULT 0,
                schedules TEXT NOT NULL DEFAULT '[]', concurrency_limit INTEGER, concurrency_options TEXT,
                job_variables TEXT NOT NULL DEFAULT '{}', parameters TEXT NOT NULL DEFAULT '{}', tags TEXT NOT NULL DEFAULT '[]',
                labels TEXT NOT NULL DEFAULT '{}', work_queue_name TEXT,
                work_queue_id TEXT REFERENCES work_queue(id) ON DELETE SET NULL, last_polled INTEGER,
                parameter_openapi_schema TEXT, path TEXT, pull_steps TEXT, entrypoint TEXT, storage_document_id TEXT,
                infrastructure_document_id TEXT, created_by TEXT, updated_by TEXT, status TEXT NOT NULL DEFAULT 'NOT_READY',
                enforce_parameter_schema INTEGER NOT NULL DEFAULT 1, UNIQUE (flow_id, name))
            """,
            "CREATE INDEX ix_deployment_name ON deployment (name)",
            "CREATE INDEX ix_deployment_work_queue_id ON deployment (work_queue_id)",
            """
            CREATE TABLE flow_run (
                id TEXT PRIMARY KEY, created INTEGER NOT NULL, updated INTEGER NOT NULL, name TEXT NOT NULL,
                flow_id TEXT NOT NULL REFERENCES flow(id) ON DELETE CASCADE, state_id TEXT,
                deployment_id TEXT, deployment_version TEXT, work_queue_id TEXT REFERENCES work_queue(id) ON DELETE SET NULL,
                work_queue_name TEXT, flow_version TEXT, parameters TEXT NOT NULL DEFAULT '{}', idempotency_key TEXT,
                context TEXT NOT NULL DEFAULT '{}', empirical_policy TEXT NOT NULL DEFAULT '{}', tags TEXT NOT NULL DEFAULT '[]',
                labels TEXT NOT NULL DEFAULT '{}', parent_task_run_id TEXT, state_type TEXT, state_name TEXT,
                state_timestamp INTEGER, run_count INTEGER NOT NULL DEFAULT 0, expected_start_time INTEGER,
                next_scheduled_start_time INTEGER, start_time INTEGER, end_time INTEGER, total_run_time REAL NOT NULL DEFAULT 0,
                auto_scheduled INTEGER NOT NULL DEFAULT 0, infrastructure_document_id TEXT, infrastructure_pid TEXT,
                created_by TEXT, job_variables TEXT, state TEXT)
            """,
            "CREATE UNIQUE INDEX uq_flow_run_flow_id_idempotency_key ON flow_run (flow_id, idempotency_key)",
            "CREATE INDEX ix_flow_run_flow_id ON flow_run (flow_id)",
            "CREATE INDEX ix_flow_run_name ON flow_run (name, id)",
            "CREATE INDEX ix_flow_run_expected_start_time ON flow_run (expected_start_time, id)",
            "CREATE INDEX ix_flow_run_start_or_expected ON flow_run (coalesce(start_time, expected_start_time), id)",
            "CREATE INDEX ix_flow_run_start_time ON flow_run (start_time)",
            "CREATE INDEX ix_flow_run_end_time ON flow_run (end_time, id)",
            "CREATE INDEX ix_flow_run_next_scheduled_start_time ON flow_run (next_scheduled_start_time, id)",
            "CREATE INDEX ix_flow_run_state_type ON flow_run (state_type)",
            "CREATE INDEX ix_flow_run_state_name ON flow_run (state_name)",
            "CREATE INDEX ix_flow_run_deployment_id ON flow_run (deployment_id)",
            "CREATE INDEX ix_flow_run_work_queue_id ON flow_run (work_queue_id)",
            "CREATE INDEX ix_flow_run_work_queue_name ON flow_run (work_queue_name)",
            "CREATE INDEX ix_flow_run_parent_task_run_id ON flow_run (parent_task_run_id)",
            "CREATE INDEX ix_flow_run_flow_version ON flow_run (flow_version)",
            "CREATE INDEX ix_flow_run_idempotency_key ON flow_run (idempotency_key)",
            """
            CREATE TABLE flow_run_state (
                id TEXT PRIMARY KEY, flow_run_id TEXT NOT NULL REFERENCES flow_run(id) ON DELETE CASCADE,
                type TEXT NOT NULL, name TEXT NOT NULL, timestamp INTEGER NOT NULL, message TEXT, data TEXT,
                state_details TEXT NOT NULL)
            """,
            "CREATE INDEX ix_flow_run_state_flow_run_id_timestamp ON flow_run_state (flow_run_id, timestamp)",
            """
            CREATE TABLE task_run (
                id TEXT PRIMARY KEY, created INTEGER NOT NULL, updated INTEGER NOT NULL, name TEXT NOT NULL,
                flow_run_id TEXT REFERENCES flow_run(id) ON DELETE CASCADE, task_key TEXT NOT NULL, dynamic_key TEXT NOT NULL,
                cache_key TEXT, cache_expiration INTEGER, task_version TEXT, empirical_policy TEXT NOT NULL DEFAULT '{}',
                tags TEXT NOT NULL DEFAULT '[]', labels TEXT NOT NULL DEFAULT '{}', state_id TEXT, task_inputs TEXT NOT NULL DEFAULT '{}',
                state_type TEXT, state_name TEXT, state_timestamp INTEGER, run_count INTEGER NOT NULL DEFAULT 0,
                flow_run_run_count INTEGER NOT NULL DEFAULT 0, expected_start_time INTEGER, next_scheduled_start_time INTEGER,
                start_time INTEGER, end_time INTEGER, total_run_time REAL NOT NULL DEFAULT 0, state TEXT)
            """,
            "CREATE UNIQUE INDEX uq_task_run_flow_run_id_task_key_dynamic_key ON task_run (flow_run_id, task_key, dynamic_key)",
            "CREATE INDEX ix_task_run_state_type ON task_run (state_type)",
            "CREATE INDEX ix_task_run_name ON task_run (name)",
            "CREATE INDEX ix_task_run_start_time ON task_run (start_time)",
            """
            CREATE TABLE task_run_state (
                id TEXT PRIMARY KEY, task_run_id TEXT NOT NULL REFERENCES task_run(id) ON DELETE CASCADE,
                type TEXT NOT NULL, name TEXT NOT NULL, timestamp INTEGER NOT NULL, message TEXT, data TEXT,
                state_details TEXT NOT NULL)
            """,
            "CREATE INDEX ix_task_run_state_task_run_id_timestamp ON task_run_state (task_run_id, timestamp)",
        ],
        [
            """
            CREATE TABLE task_run_state_cache (
                id TEXT PRIMARY KEY, created INTEGER NOT NULL, cache_key TEXT NOT NULL, cache_expiration INTEGER,
                task_run_state_id TEXT NOT NULL REFERENCES task_run_state(id) ON DELETE CASCADE)
            """,
            "CREATE INDEX ix_task_run_state_cache_key_created ON task_run_state_cache (cache_key, created)",
        ],
        [
            """
            CREATE TABLE log (
                id TEXT PRIMARY KEY, created INTEGER NOT NULL, updated INTEGER NOT NULL, name TEXT NOT NULL,
                level INTEGER NOT NULL, message TEXT NOT NULL, timestamp INTEGER NOT NULL, flow_run_id TEXT, task_run_id TEXT)
            """,
            "CREATE INDEX ix_log_flow_run_id_timestamp ON log (flow_run_id, timestamp)",
            "CREATE INDEX ix_log_task_run_id_timestamp ON log (task_run_id, timestamp)",
            "CREATE INDEX ix_log_timestamp ON log (timestamp)",
        ],
        [
            """
            CREATE TABLE event (
                id TEXT PRIMARY KEY, occurred INTEGER NOT NULL, event TEXT NOT NULL, resource_id TEXT NOT NULL,
                resource TEXT NOT NULL, related TEXT NOT NULL, payload TEXT NOT NULL, follows TEXT, received INTEGER NOT NULL)
            """,
            "CREATE INDEX ix_event_occurred ON event (occurred, id)",
            "CREATE INDEX ix_event_event_occurred ON event (event, occurred)",
            "CREATE INDEX ix_event_resource_id_occurred ON event (resource_id, occurred)",
        ],
        [
            // Filters on a state, a deployment or a work queue match many runs (a fifth of them
            // for FAILED or CRASHED): with the run id in the index, Read Flow Runs picks its page
            // (default order: id) from index entries alone, and the task run state filter finds
            // its flow runs without reading task runs.
            "DROP INDEX ix_flow_run_state_type",
            "CREATE INDEX ix_flow_run_state_type ON flow_run (state_type, id)",
            "DROP INDEX ix_flow_run_deployment_id",
            "CREATE INDEX ix_flow_run_deployment_id ON flow_run (deployment_id, id)",
            "DROP INDEX ix_flow_run_work_queue_id",
            "CREATE INDEX ix_flow_run_work_queue_id ON flow_run (work_queue_id, id)",
            "DROP INDEX ix_task_run_state_type",
            "CREATE INDEX ix_task_run_state_type ON task_run (state_type, flow_run_id)",
        ],
        [
            // SQLite: a tag filter tests each run's tags in id order until the page is full; with
            // the tags beside the id in an index, it reads index entries (dozens to a page)
            // instead of whole rows (tags all_ at limit 200, 100,000 runs: 14.8 -> 3.0 ms).
            // PostgreSQL's GIN index serves tag filters instead.
            sqliteOnlyFlowRunIdTags
        ],
        [
            // A deployment created without pull steps answers [] as the reference's does; only
            // an explicit null is stored (and answered) as null.
            "UPDATE deployment SET pull_steps = '[]' WHERE pull_steps IS NULL"
        ],
        [
            // Workers, known from their heartbeats (`POST /work_pools/{name}/workers/heartbeat`).
            """
            CREATE TABLE worker (
                id TEXT PRIMARY KEY, created INTEGER NOT NULL, updated INTEGER NOT NULL,
                name TEXT NOT NULL, work_pool_id TEXT NOT NULL REFERENCES work_pool(id) ON DELETE CASCADE,
                last_heartbeat_time INTEGER NOT NULL, heartbeat_interval_seconds INTEGER,
                status TEXT NOT NULL DEFAULT 'OFFLINE', UNIQUE (work_pool_id, name))
            """,
            "CREATE INDEX ix_worker_work_pool_id_last_heartbeat_time ON worker (work_pool_id, last_heartbeat_time)",
        ],
    ]

    static let sqliteOnlyFlowRunIdTags = "CREATE INDEX ix_flow_run_id_tags ON flow_run (id, tags)"

    /// SQLite statements PostgreSQL does without.
    static let sqliteOnly: Set<String> = [sqliteOnlyFlowRunIdTags]

    /// PostgreSQL-only statements appended to a migration (by index): GIN indexes on the JSON tag
    /// arrays, which serve `tags.all_` (`@>`) and `tags.any_` (`?|`).
    static let postgresExtras: [Int: [String]] = [
        0: [
            "CREATE INDEX ix_flow_run_tags ON flow_run USING gin ((CAST(tags AS jsonb)))",
            "CREATE INDEX ix_task_run_tags ON task_run USING gin ((CAST(tags AS jsonb)))",
        ]
    ]

    /// The PostgreSQL schema: the SQLite one with PostgreSQL's types (64-bit integers, doubles,
    /// text compared bytewise as SQLite does), every index key ordered nulls-first as SQLite orders
    /// them, and the PostgreSQL-only indexes.
    static var postgres: [[String]] {
        sqlite.enumerated().map { i, statements in statements.filter { !sqliteOnly.contains($0) }.map(postgresStatement) + (postgresExtras[i] ?? []) }
    }

    /// One SQLite DDL statement in PostgreSQL's terms.
    static func postgresStatement(_ sql: String) -> String {
        if sql.hasPrefix("CREATE TABLE") {
            var out = sql
            for (from, to) in [("INTEGER", "BIGINT"), ("REAL", "DOUBLE PRECISION"), ("TEXT", "TEXT COLLATE \"C\"")] {
                out = out.replacingOccurrences(of: "\\b\(from)\\b", with: to, options: .regularExpression)
            }
            return out
        }
        guard sql.hasPrefix("CREATE INDEX") || sql.hasPrefix("CREATE UNIQUE INDEX"),
            let open = sql.firstIndex(of: "("), sql.hasSuffix(")")
        else { return sql }
        let keys = String(sql[sql.index(after: open)..<sql.index(before: sql.endIndex)])
        let ordered = splitTopLevel(keys).map { key -> String in
            let k = key.trimmingCharacters(in: .whitespaces)
            let isColumn = k.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
            return (isColumn ? k : "(\(k))") + " NULLS FIRST"
        }
        return String(sql[...open]) + ordered.joined(separator: ", ") + ")"
    }

    /// Applies every migration newer than the database's recorded version.
    static func run(on db: any SQLDatabase, dialect: StoreDialect, logger: Logger) async throws {
        switch dialect {
        case .sqlite: try await runSQLite(on: db, logger: logger)
        case .postgres: try await runPostgres(on: db, logger: logger)
        }
    }

    /// The recorded schema version (0 for a new database).
    private static func version(_ db: any SQLDatabase) async throws -> Int {
        try await db.raw("CREATE TABLE IF NOT EXISTS weir_schema_version (version BIGINT NOT NULL)").run()
        let rows = try await db.raw("SELECT max(version) AS v FROM weir_schema_version").all()
        return try rows.first?.decode(column: "v", as: Int?.self) ?? 0
    }

    private static func runSQLite(on db: any SQLDatabase, logger: Logger) async throws {
        let current = try await version(db)
        for (i, statements) in sqlite.enumerated() where i + 1 > current {
            try await db.raw("BEGIN IMMEDIATE").run()
            do {
                for s in statements { try await db.raw(SQLQueryString(s)).run() }
                try await db.raw("INSERT INTO weir_schema_version (version) VALUES (\(literal: i + 1))").run()
                try await db.raw("COMMIT").run()
            } catch {
                // Deliberate try?: the migration's own error is the one to report.
                try? await db.raw("ROLLBACK").run()
                throw error
            }
            logger.info("applied migration \(i + 1)")
        }
    }

    /// The lock that makes replicas starting at once migrate one after another.
    static let migrationLock: Int64 = 0x5745_4952_0001

    /// PostgreSQL's DDL is transactional: the pending migrations apply in one transaction that holds
    /// an advisory lock, so of several replicas starting together one migrates and the rest wait
    /// and then find the schema current.
    private static func runPostgres(on db: any SQLDatabase, logger: Logger) async throws {
        try await db.raw("BEGIN").run()
        do {
            try await db.raw("SELECT pg_advisory_xact_lock(\(bind: migrationLock))").run()
            let current = try await version(db)
            for (i, statements) in postgres.enumerated() where i + 1 > current {
                for s in statements { try await db.raw(SQLQueryString(s)).run() }
                try await db.raw("INSERT INTO weir_schema_version (version) VALUES (\(literal: i + 1))").run()
                logger.info("applied migration \(i + 1)")
            }
            try await db.raw("COMMIT").run()
        } catch {
            // Deliberate try?: the migration's own error is the one to report.
            try? await db.raw("ROLLBACK").run()
            throw error
        }
    }
}

/// Splits an index's key list `a, f(b, c), d` at the commas outside parentheses.
private func splitTopLevel(_ text: String) -> [String] {
    var parts: [String] = []
    var depth = 0
    var current = ""
    for ch in text {
        if ch == "(" { depth += 1 }
        if ch == ")" { depth -= 1 }
        if ch == ",", depth == 0 {
            parts.append(current)
            current = ""
        } else {
            current.append(ch)
        }
    }
    parts.append(current)
    return parts
}
