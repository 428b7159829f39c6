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
    private var idle: [SQLiteConnection]
    private var waiters: [CheckedContinuation<SQLiteConnection, Never>] = []

    init(_ connections: [SQLiteConnection]) { idle = connections }

    func acquire() async -> SQLiteConnection {
        if let c = idle.popLast() { return c }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func release(_ c: SQLiteConnection) {
        if waiters.isEmpty { idle.append(c) } else { waiters.removeFirst().resume(returning: c) }
    }

    func drain() -> [SQLiteConnection] {
        defer { idle = [] }
        return idle
    }
}

/// The embedded database: one SQLite file in WAL mode with a single writer connection (writes are
/// serialised in-process, so they never fail with "database is locked") and several readers that
/// run concurrently with it.
public final class SQLiteBackend: StoreBackend {
    private let writer: ConnectionPool
    private let readers: ConnectionPool
    private let threadPool: NIOThreadPool
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
        let pool = NIOThreadPool(numberOfThreads: max(2, readers))
        pool.start()
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        func connect() async throws -> SQLiteConnection {
            let c = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: loop)
            // Page cache: 8 MiB per connection (five connections); no mmap, whose touched pages
            // count towards the process's resident memory once per connection (the benchmark saw
            // 1.6 GiB peak RSS at 100,000 runs with 64 MiB caches and 256 MiB maps). The kernel's
            // page cache keeps the file warm either way.
            for pragma in ["PRAGMA busy_timeout = 30000", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -8192", "PRAGMA temp_store = MEMORY"] {
                try await c.query(pragma, []) { _ in }
            }
            return c
        }
        let w = try await connect()
        try await w.query("PRAGMA journal_mode = WAL", []) { _ in }
        try await Migrations.run(on: SQLiteFastDatabase(connection: w), dialect: .sqlite, logger: logger)
        // Table statistics for the query planner, as SQLite recommends for long-lived connections
        // (cheap when they are current).
        try await w.query("PRAGMA optimize = 0x10002", []) { _ in }
        var rs: [SQLiteConnection] = []
        for _ in 0..<readers { rs.append(try await connect()) }
        return SQLiteBackend(writer: ConnectionPool([w]), readers: ConnectionPool(rs), threadPool: pool, logger: logger)
    }

    private init(writer: ConnectionPool, readers: ConnectionPool, threadPool: NIOThreadPool, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Runs read-only work on a reader connection.
    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let c = await readers.acquire()
        do {
            let result = try await body(SQLiteFastDatabase(connection: c))
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
        let db = SQLiteFastDatabase(connection: c)
        do {
            try await db.raw("BEGIN IMMEDIATE").run()
            let result: T
            do {
                result = try await body(db)
                try await db.raw("COMMIT").run()
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
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

    /// Closes every connection and stops the thread pool.
    public func close() async {
        for c in await writer.drain() + readers.drain() { try? await c.close() }
        try? await threadPool.shutdownGracefully()
    }
}
