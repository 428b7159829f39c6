import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLiteKit
import SQLKit
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
        defer { idle = []; all = [] }
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
                for pragma in ["PRAGMA busy_timeout = 30000", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -8192", "PRAGMA temp_store = MEMORY"] {
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

    /// `PRAGMA optimize` on a long-lived connection, as SQLite advises: it measures each table
    /// that has never been measured or has grown or shrunk tenfold since (SQLite's own rule, so
    /// a growing database is measured a handful of times in its life). The check alone takes
    /// microseconds, so it runs on the writer between transactions. When it measures something,
    /// the same transaction creates and drops a table: that changes the schema version, so every
    /// reader connection reads the schema and with it the new statistics before its next query
    /// (and its cached statements plan again); without it they keep the statistics they opened with.
    /// The measurement is a full `ANALYZE` of the tables due: a sampled one (`analysis_limit`)
    /// is faster but misjudged skewed indexes in a test.
    public func refreshStatistics() async throws -> [String] {
        let logger = logger
        return try await writer.use { c in
            let db = SQLiteFastDatabase(handle: c, logger: logger)
            let due = try await db.raw("PRAGMA optimize = 0x10003").all().compactMap { row in
                row.allColumns.first.flatMap { try? row.decode(column: $0, as: String.self) }
            }
            guard !due.isEmpty else { return [] }
            try await inTransaction(db, begin: "BEGIN IMMEDIATE") { db in
                try await db.raw("PRAGMA optimize = 0x10002").run()
                try await db.raw("CREATE TABLE weir_statistics_changed (x INTEGER)").run()
                try await db.raw("DROP TABLE weir_statistics_changed").run()
            }
            return due
        }
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
            if handle == nil, let opened = try? await open() {
                let keep = state.withLockedValue { s in
                    if s.closed { return false }
                    s.handle = opened
                    return true
                }
                if keep { handle = opened } else { await opened.close() }
            }
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
