import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLiteKit
import SQLKit
import WeirModels

/// Hands out connections one client at a time; waiters queue in order.
actor ConnectionPool {
    private var idle: [SQLiteHandle]
    private var waiters: [CheckedContinuation<SQLiteHandle, Never>] = []

    init(_ connections: [SQLiteHandle]) { idle = connections }

    func acquire() async -> SQLiteHandle {
        if let c = idle.popLast() { return c }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func release(_ c: SQLiteHandle) {
        if waiters.isEmpty { idle.append(c) } else { waiters.removeFirst().resume(returning: c) }
    }

    func drain() -> [SQLiteHandle] {
        defer { idle = [] }
        return idle
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
        var opened: [SQLiteHandle] = []
        func connect(_ name: String) async throws -> SQLiteHandle {
            let c = try await SQLiteHandle.open(path: path, name: name)
            opened.append(c)
            // Page cache: 8 MiB per connection (five connections); no mmap, whose touched pages
            // count towards the process's resident memory once per connection (the benchmark saw
            // 1.6 GiB peak RSS at 100,000 runs with 64 MiB caches and 256 MiB maps). The kernel's
            // page cache keeps the file warm either way.
            let db = SQLiteFastDatabase(handle: c, logger: logger)
            for pragma in ["PRAGMA busy_timeout = 30000", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -8192", "PRAGMA temp_store = MEMORY"] {
                try await db.raw(SQLQueryString(pragma)).run()
            }
            return c
        }
        do {
            let w = try await connect("sqlite-writer")
            let db = SQLiteFastDatabase(handle: w, logger: logger)
            try await w.run {
                try await db.raw("PRAGMA journal_mode = WAL").run()
                try await Migrations.run(on: db, dialect: .sqlite, logger: logger)
                // Table statistics for the query planner, as SQLite recommends for long-lived
                // connections (cheap when they are current).
                try await db.raw("PRAGMA optimize = 0x10002").run()
            }
            var rs: [SQLiteHandle] = []
            for i in 0..<readers { rs.append(try await connect("sqlite-reader-\(i)")) }
            let checkpointer = Checkpointer(handle: try await connect("sqlite-checkpoint"))
            try await w.setWALHook(checkpointer)
            return SQLiteBackend(writer: ConnectionPool([w]), readers: ConnectionPool(rs), checkpointer: checkpointer, logger: logger)
        } catch {
            for c in opened { await c.close() }
            throw error
        }
    }

    private init(writer: ConnectionPool, readers: ConnectionPool, checkpointer: Checkpointer, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.checkpointer = checkpointer
        self.logger = logger
    }

    /// Runs read-only work on a reader connection.
    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let c = await readers.acquire()
        let logger = logger
        do {
            let result = try await c.run { try await body(SQLiteFastDatabase(handle: c, logger: logger)) }
            await readers.release(c)
            return result
        } catch {
            await readers.release(c)
            throw error
        }
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
        let c = await writer.acquire()
        let db = SQLiteFastDatabase(handle: c, logger: logger)
        do {
            let result = try await c.run {
                try await db.raw("BEGIN IMMEDIATE").run()
                do {
                    let result = try await body(db)
                    try await db.raw("COMMIT").run()
                    return result
                } catch {
                    try? await db.raw("ROLLBACK").run()
                    throw error
                }
            }
            await writer.release(c)
            return result
        } catch {
            await writer.release(c)
            throw error
        }
    }

    /// One process serves an SQLite database: there are no other processes' events to follow.
    public func followEventsOfOtherProcesses(_ handler: @escaping @Sendable ([UUID]) async -> Void) async throws {}

    /// Closes every connection and ends its thread.
    public func close() async {
        for c in await writer.drain() + readers.drain() { await c.close() }
        await checkpointer.handle.close()
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
    let handle: SQLiteHandle
    private let pending = NIOLockedValueBox(false)
    static let threshold = 1000

    init(handle: SQLiteHandle) { self.handle = handle }

    override func committed(frames: Int) -> Bool {
        if frames >= 4 * Self.threshold { return true }
        guard frames >= Self.threshold, pending.withLockedValue({ was in defer { was = true }; return !was }) else { return false }
        Task { [self] in
            try? await handle.run { try handle.checkpoint() }
            pending.withLockedValue { $0 = false }
        }
        return false
    }
}
