import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresKit
import PostgresNIO
import SQLKit
import WeirModels

/// PostgreSQL: a pool of connections (PostgresNIO's `PostgresClient`, which reconnects after the
/// server restarts). Writes are short transactions: a state proposal locks its run's row and runs
/// at READ COMMITTED, so concurrent proposals for one run, from any number of Weir replicas, apply
/// one after another exactly as on SQLite's single writer; every other write is SERIALIZABLE and
/// retried on a serialization conflict (and, twice, on a unique conflict, which makes idempotent
/// creates hold across replicas). While the server cannot be reached, operations fail with
/// ``StoreError/unavailable`` (the API answers 503 with `Retry-After`).
public final class PostgresBackend: StoreBackend {
    public let dialect: StoreDialect = .postgres
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let events = EventDelivery()
    private let logger: Logger
    /// How long a request waits for a connection before answering "unavailable".
    private let acquireTimeout: Duration

    /// Connects to the server, migrates the schema and returns the backend.
    public static func open(
        _ location: PostgresLocation,
        poolSize: Int = 10,
        acquireTimeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "weir.store")
    ) async throws -> PostgresBackend {
        var config: PostgresClient.Configuration
        if let dir = location.socketDirectory {
            config = .init(
                unixSocketPath: "\(dir)/.s.PGSQL.\(location.port)",
                username: location.username,
                password: location.password,
                database: location.database
            )
        } else {
            config = .init(
                host: location.host,
                port: location.port,
                username: location.username,
                password: location.password,
                database: location.database,
                tls: location.tls
            )
        }
        config.options.maximumConnections = max(1, poolSize)
        config.options.connectTimeout = .seconds(5)
        config.options.keepAliveBehavior = .init(frequency: .seconds(15))
        // Short API queries gain nothing from JIT compilation, which costs ~100-200 ms when the
        // planner's estimate crosses its threshold.
        config.options.additionalStartupParameters = [("jit", "off")]
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        let runner = Task { await client.run() }
        let backend = PostgresBackend(client: client, runner: runner, acquireTimeout: acquireTimeout, logger: logger)
        do {
            try await backend.withConnection { conn in
                try await Migrations.run(on: conn.sql(queryLogLevel: nil), dialect: .postgres, logger: logger)
            }
        } catch {
            await backend.close()
            throw error
        }
        return backend
    }

    private init(client: PostgresClient, runner: Task<Void, Never>, acquireTimeout: Duration, logger: Logger) {
        self.client = client
        self.runner = runner
        self.acquireTimeout = acquireTimeout
        self.logger = logger
    }

    public func setEventSink(_ handler: @escaping @Sendable ([Event]) async -> Void) {
        events.set(handler)
    }

    /// Leases a connection for `body`, failing with ``StoreError/unavailable`` when none can be had
    /// within the acquire timeout or the connection breaks.
    private func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let acquired = NIOLockedValueBox(false)
        let timeout = acquireTimeout
        do {
            return try await withoutActuallyEscaping(body) { body in
                let unchecked = UncheckedBody(body: body)
                return try await withThrowingTaskGroup(of: T?.self) { group in
                    group.addTask {
                        try await self.client.withConnection { conn in
                            acquired.withLockedValue { $0 = true }
                            return try await unchecked.body(conn)
                        }
                    }
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        if !acquired.withLockedValue({ $0 }) { throw StoreError.unavailable }
                        return nil
                    }
                    while let next = try await group.next() {
                        if let value = next {
                            group.cancelAll()
                            return value
                        }
                    }
                    throw StoreError.unavailable
                }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            if isUnavailable(error) { throw StoreError.unavailable }
            throw error
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withConnection { conn in try await body(conn.sql(queryLogLevel: nil)) }
    }

    public func write<T: Sendable>(locking: Bool, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await retrying { try await self.events.collecting { try await self.transaction(locking ? "READ COMMITTED" : "SERIALIZABLE", body) } }
    }

    /// The work (a background pass) proposes states, which lock their runs: READ COMMITTED.
    public func writeExclusively<T: Sendable>(key: Int64, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T? {
        try await write(locking: true) { db -> T? in
            guard let row = try await db.raw("SELECT pg_try_advisory_xact_lock(\(bind: key)) AS locked").first(),
                try row.decode(column: "locked", as: Bool.self)
            else { return nil }
            return try await body(db)
        }
    }

    /// Runs an attempt again after a serialization failure or deadlock (up to 50 times, with a
    /// random backoff growing to 100 ms): another transaction won, try again. A unique or foreign key conflict
    /// is also tried again, twice: when it came from a concurrent create of the same thing (two
    /// replicas creating a run with one idempotency key), the next attempt finds the committed row
    /// and returns it, as the single SQLite writer would have; a real conflict fails again.
    private func retrying<T: Sendable>(_ attempt: () async throws -> T) async throws -> T {
        var tries = 0
        var integrityTries = 0
        while true {
            do {
                return try await attempt()
            } catch {
                tries += 1
                let serialization = Self.sqlState(error).map { $0 == "40001" || $0 == "40P01" } ?? false
                let integrity = (error as? StoreError) == StoreError.integrity || isConstraintViolation(error)
                if integrity { integrityTries += 1 }
                guard tries < 50, serialization || (integrity && integrityTries <= 2) else { throw error }
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...min(100, 1 << min(tries, 7)))))
            }
        }
    }

    private func transaction<T: Sendable>(_ isolation: String, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withConnection { conn in
            try await inTransaction(conn.sql(queryLogLevel: nil), begin: "BEGIN ISOLATION LEVEL \(unsafeRaw: isolation)", body)
        }
    }

    /// The channel on which committed events are announced: `process-id:event-id,event-id,...`.
    static let eventChannel = "weir_events"

    /// This process, in event announcements, so it can ignore its own.
    static let processId = UUID().lowercased

    public func followEventsOfOtherProcesses(_ handler: @escaping @Sendable ([UUID]) async -> Void) async throws {
        try await withConnection { conn in
            try await conn.listen(on: Self.eventChannel) { notifications in
                for try await n in notifications {
                    guard let colon = n.payload.firstIndex(of: ":"), n.payload[..<colon] != Self.processId else { continue }
                    let ids = n.payload[n.payload.index(after: colon)...].split(separator: ",").compactMap { UUID(uuidString: String($0)) }
                    if !ids.isEmpty { await handler(ids) }
                }
            }
        }
    }

    /// Announces events inserted by the open transaction; PostgreSQL delivers the notification to
    /// the other replicas' listeners when (and only if) the transaction commits.
    static func announce(_ db: any SQLDatabase, _ ids: [UUID]) async throws {
        var start = 0
        while start < ids.count {
            let chunk = ids[start..<min(start + 150, ids.count)]
            let payload = processId + ":" + chunk.map(\.lowercased).joined(separator: ",")
            try await db.raw("SELECT pg_notify(\(bind: eventChannel), \(bind: payload))").run()
            start += 150
        }
    }

    /// Autovacuum analyzes a table once 50 rows and a tenth of it changed, within its one-minute
    /// nap, which keeps the run tables measured as they grow (bench/postgres_statistics.py). It
    /// never measures a table that has had fewer than 50 changes, such as a few dozen flows: the
    /// planner then guessed at `flow`, and a flow name filter ran at 0.12x of its speed after an
    /// ANALYZE. This measures the tables below autovacuum's threshold that have changed by a
    /// tenth (or were never measured); one replica at a time.
    public func refreshStatistics() async throws -> [String] {
        let tables = try await read { db in
            try await db.raw(
                """
                SELECT relname FROM pg_stat_user_tables
                WHERE n_mod_since_analyze > 0 AND n_mod_since_analyze < 50 + 0.1 * n_live_tup
                  AND (coalesce(last_analyze, last_autoanalyze) IS NULL OR n_mod_since_analyze >= 0.1 * n_live_tup)
                ORDER BY relname
                """
            ).all().map { try $0.decode(column: "relname", as: String.self) }
        }
        guard !tables.isEmpty else { return [] }
        // ANALYZE takes no lock that blocks reads or writes; the advisory lock keeps replicas from
        // measuring the same tables at once.
        let measured = try await writeExclusively(key: Self.statisticsLock) { db -> [String] in
            for table in tables { try await db.raw("ANALYZE \(ident: table)").run() }
            return tables
        }
        return measured ?? []
    }

    /// The advisory lock key of the statistics pass.
    static let statisticsLock: Int64 = 0x5745_4952_0102

    public func close() async {
        runner.cancel()
        await runner.value
    }

    /// The SQLSTATE of a server error.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}

/// A non-Sendable closure carried into a child task that runs while its caller waits.
private struct UncheckedBody<T>: @unchecked Sendable {
    let body: (PostgresConnection) async throws -> T
}

extension PostgresLocation {
    /// TLS as `?sslmode=` asks: `disable`, `require`, or (default) use it when the server offers it.
    var tls: PostgresClient.Configuration.TLS {
        switch sslMode {
        case "disable": return .disable
        case "require", "verify-ca", "verify-full": return .require(.makeClientConfiguration())
        default: return .prefer(.makeClientConfiguration())
        }
    }
}

/// The server cannot be reached or the connection broke: retrying later may succeed.
func isUnavailable(_ error: any Error) -> Bool {
    if let e = error as? StoreError { return e.kind == .unavailable }
    if let e = error as? PSQLError {
        switch e.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed: return true
        case .server:
            // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
            let state = e.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("57P") || state == "53300" || state.hasPrefix("08")
        default: return false
        }
    }
    if error is ConnectionPoolError { return true }
    if error is NIOConnectionError || error is ChannelError { return true }
    return false
}

/// A unique, foreign key or not-null constraint failed (SQLite or PostgreSQL).
func isConstraintViolation(_ error: any Error) -> Bool {
    if let state = PostgresBackend.sqlState(error) { return state.hasPrefix("23") }
    if let failure = error as? SQLiteFailure { return failure.isConstraintViolation }
    return "\(error)".contains("constraint")
}

/// The database could not be reached (now or mid-request): the request may be retried later.
public func isRetryableStoreError(_ error: any Error) -> Bool {
    isUnavailable(error)
}
