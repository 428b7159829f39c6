import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import WeirModels

/// Hands out connections one client at a time, opening them as they are first needed (up to
/// `capacity`: an idle server keeps only the connections it has used); waiters queue in order.
actor ConnectionPool {
    private var idle: [SQLiteHandle]
    private var all: [SQLiteHandle]
    private var opening = 0
    private let capacity: Int
    private let open: @Sendable () async throws -> SQLiteHandle
    private var waiters: [CheckedContinuation<SQLiteHandle, Never>] = []

    init(_ connections: [SQLiteHandle], capacity: Int, open: @escaping @Sendable () async throws -> SQLiteHandle) {
        idle = connections
        all = connections
        self.capacity = max(capacity, connections.count)
        self.open = open
    }

    func acquire() async throws -> SQLiteHandle {
        if let c = idle.popLast() { return c }
        if all.count + opening < capacity {
            opening += 1
            defer { opening -= 1 }
            let c = try await open()
            all.append(c)
            return c
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func release(_ c: SQLiteHandle) {
        if waiters.isEmpty { idle.append(c) } else { waiters.removeFirst().resume(returning: c) }
    }

    /// How many connections are open.
    var opened: Int { all.count }

    /// Runs `body` on a connection's thread, returning the connection to the pool afterwards.
    nonisolated func use<T: Sendable>(_ body: @Sendable (SQLiteHandle) async throws -> T) async throws -> T {
        let c = try await acquire()
        do {
            let result = try await c.run { try await body(c) }
            await release(c)
            return result
        } catch {
            await release(c)
            throw error
        }
    }

    /// Every connection opened, for closing.
    func drain() -> [SQLiteHandle] {
        defer {
            idle = []
            all = []
        }
        return all
    }
}

/// The embedded database: one SQLite file in WAL mode with a single writer connection (writes are
/// serialised in-process, so they never fail with "database is locked") and several readers that
/// run concurrently with it. Each connection has a thread of its own, on which a whole read or
/// transaction runs (``SQLiteHandle``).
public final class SQLiteBackend: StoreBackend {
    private let writer: ConnectionPool
    private let readers: ConnectionPool
    private let checkpointer: Checkpointer
    /// The SQL dialect queries are rendered in.
    public let dialect: StoreDialect = .sqlite
    let logger: Logger
    private let events = EventDelivery()
    /// The writer's change count when the statistics were last measured.
    private let statisticsChanges = NIOLockedValueBox(0)

    /// Where events emitted by committed transactions go (the server's event stream).
    public func setEventSink(_ handler: @escaping @Sendable ([Event]) async -> Void) {
        events.set(handler)
    }

    /// Opens (creating if needed) the database at `path` and migrates it.
    public static func open(path: String, readers: Int = 4, logger: Logger = Logger(label: "weir.store")) async throws -> SQLiteBackend {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        @Sendable func connect() async throws -> SQLiteHandle {
            let c = try await SQLiteHandle.open(path: path)
            // Page cache: 8 MiB per connection (up to six connections); no mmap, whose touched
            // pages count towards the process's resident memory once per connection (the
            // benchmark saw 1.6 GiB peak RSS at 100,000 runs with 64 MiB caches and 256 MiB
            // maps). The kernel's page cache keeps the file warm either way.
            let db = SQLiteFastDatabase(handle: c, logger: logger)
            do {
                for pragma in [
                    "PRAGMA busy_timeout = 30000", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -8192",
                    "PRAGMA temp_store = MEMORY",
                ] {
                    try await db.raw(SQLQueryString(pragma)).run()
                }
            } catch {
                await c.close()
                throw error
            }
            return c
        }
        let w = try await connect()
        do {
            let db = SQLiteFastDatabase(handle: w, logger: logger)
            try await w.run {
                try await db.raw("PRAGMA journal_mode = WAL").run()
                try await Migrations.run(on: db, dialect: .sqlite, logger: logger)
                // Table statistics for the query planner, as SQLite recommends for long-lived
                // connections (cheap when they are current).
                try await db.raw("PRAGMA optimize = 0x10002").run()
            }
            let checkpointer = Checkpointer(open: connect)
            try await w.setWALHook(checkpointer)
            let readerPool = ConnectionPool([], capacity: readers, open: connect)
            return SQLiteBackend(writer: ConnectionPool([w], capacity: 1) { w }, readers: readerPool, checkpointer: checkpointer, logger: logger)
        } catch {
            await w.close()
            throw error
        }
    }

    private init(writer: ConnectionPool, readers: ConnectionPool, checkpointer: Checkpointer, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.checkpointer = checkpointer
        self.logger = logger
    }

    /// How many reader connections are open (they open as concurrent reads need them).
    var openReaders: Int { get async { await readers.opened } }

    /// Runs read-only work on a reader connection.
    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let logger = logger
        return try await readers.use { c in try await body(SQLiteFastDatabase(handle: c, logger: logger)) }
    }

    /// Runs `body` in one write transaction: all of it commits, or none of it does. Events it
    /// emitted go to the sink after the commit.
    public func write<T: Sendable>(locking: Bool, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await events.collecting { try await transaction(body) }
    }

    /// SQLite write transactions already exclude each other (one writer, `BEGIN IMMEDIATE`), across
    /// processes too, so this is a plain write.
    public func writeExclusively<T: Sendable>(key: Int64, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T? {
        try await write(body)
    }

    private func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let logger = logger
        return try await writer.use { c in try await inTransaction(SQLiteFastDatabase(handle: c, logger: logger), begin: "BEGIN IMMEDIATE", body) }
    }

    /// Measures the tables whose statistics no longer describe them, as PostgreSQL's autovacuum
    /// does: `PRAGMA optimize` names each table never measured or grown or shrunk tenfold since
    /// (SQLite's own rule, which alone left the statistics of 3,000 freshly created runs on a
    /// table of 20,000 that had since moved through their states: Read Flow Runs ran at 0.57-0.86x
    /// of a restarted server's speed); and once the writer has changed a tenth as many rows as the
    /// measured tables held (the autovacuum's 10%), every table is measured again. Each table is
    /// measured with a full `ANALYZE` in a transaction of its own, so writes wait for one table at
    /// a time (the run table: 0.31 s at 100,000 runs; a sampled `analysis_limit` one is faster but
    /// misjudged skewed indexes in a test). The same transaction creates and drops a table: that
    /// changes the schema version, so every reader connection reads the schema and with it the new
    /// statistics before its next query (and its cached statements plan again); without it they
    /// keep the statistics they opened with.
    public func refreshStatistics() async throws -> [String] {
        let logger = logger
        let measuredAt = statisticsChanges
        let (due, changes) = try await writer.use { c in
            let db = SQLiteFastDatabase(handle: c, logger: logger)
            var due = try await db.raw("PRAGMA optimize = 0x10003").all().compactMap { row in
                try row.allColumns.first.map { try row.decode(column: $0, as: String.self) }.flatMap(Self.analyzedTable)
            }
            let changes = c.totalChanges()
            let measured = try await db.raw("SELECT tbl, max(CAST(stat AS INTEGER)) AS n FROM sqlite_stat1 GROUP BY tbl").all()
            let rows = try measured.reduce(0) { $0 + (try $1.decode(column: "n", as: Int?.self) ?? 0) }
            if changes - measuredAt.withLockedValue({ $0 }) >= max(500, rows / 10) {
                for row in measured {
                    let table = try row.decode(column: "tbl", as: String.self)
                    if !due.contains(table) { due.append(table) }
                }
            }
            return (due, changes)
        }
        for table in due {
            try await writer.use { c in
                try await inTransaction(SQLiteFastDatabase(handle: c, logger: logger), begin: "BEGIN IMMEDIATE") { db in
                    try await db.raw("ANALYZE \(ident: table)").run()
                    try await db.raw("CREATE TABLE weir_statistics_changed (x INTEGER)").run()
                    try await db.raw("DROP TABLE weir_statistics_changed").run()
                }
            }
        }
        if !due.isEmpty { measuredAt.withLockedValue { $0 = changes } }
        return due
    }

    /// The table of one of `PRAGMA optimize`'s planned statements, `ANALYZE "main"."flow_run"`.
    static func analyzedTable(_ statement: String) -> String? {
        let parts = statement.split(separator: "\"")
        guard statement.hasPrefix("ANALYZE "), parts.count >= 4 else { return nil }
        return String(parts[3])
    }

    /// One process serves an SQLite database: there are no other processes' events to follow.
    public func followEventsOfOtherProcesses(_ handler: @escaping @Sendable ([UUID]) async -> Void) async throws {}

    /// Closes every connection and ends its thread.
    public func close() async {
        for c in await writer.drain() + readers.drain() { await c.close() }
        await checkpointer.close()
    }
}

/// Checkpoints the write-ahead log on a connection of its own once it holds 1,000 frames (as
/// SQLite's automatic checkpoint would), so the writer does not wait for the checkpoint's file
/// writes and fsync: run inside the commit that crosses the threshold, they were a seventh of the
/// writer's time under the benchmark's creation load. Passive: it never blocks the writer or readers.
///
/// Under continuous writes a checkpoint on another connection never catches up with the last
/// frame, and SQLite only starts the log over once every frame is copied: past four times the
/// threshold the writer finishes the checkpoint itself (by then mostly done), so the log file
/// stays bounded.
final class Checkpointer: WALHook, @unchecked Sendable {
    /// Its connection, opened at the first checkpoint; nil once closed.
    private let state = NIOLockedValueBox<(handle: SQLiteHandle?, pending: Bool, closed: Bool)>((nil, false, false))
    private let open: @Sendable () async throws -> SQLiteHandle
    static let threshold = 1000

    init(open: @escaping @Sendable () async throws -> SQLiteHandle) { self.open = open }

    override func committed(frames: Int) -> Bool {
        if frames >= 4 * Self.threshold { return true }
        guard frames >= Self.threshold else { return false }
        let start = state.withLockedValue { s in
            if s.pending || s.closed { return false }
            s.pending = true
            return true
        }
        guard start else { return false }
        Task { [self] in
            // One checkpoint at a time (`pending`), so only this task opens or uses the connection.
            var handle = state.withLockedValue { $0.handle }
            // Deliberate try?: a checkpoint that cannot open a connection is skipped; the next one retries.
            if handle == nil, let opened = try? await open() {
                let keep = state.withLockedValue { s in
                    if s.closed { return false }
                    s.handle = opened
                    return true
                }
                if keep { handle = opened } else { await opened.close() }
            }
            // Deliberate try?: a checkpoint that fails (the log is busy) is retried by the next.
            if let handle { try? await handle.run { try handle.checkpoint() } }
            state.withLockedValue { $0.pending = false }
        }
        return false
    }

    /// Closes the connection (if one was opened); no checkpoint starts afterwards.
    func close() async {
        let handle = state.withLockedValue { s in
            s.closed = true
            defer { s.handle = nil }
            return s.handle
        }
        await handle?.close()
    }
}
