import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit
import WeirModels

/// A database Weir's repositories run on: the embedded SQLite file or a PostgreSQL server. Reads
/// run on a pooled connection; writes run as one transaction each, all or nothing.
public protocol StoreBackend: Sendable {
    /// The SQL dialect queries are rendered in.
    var dialect: StoreDialect { get }

    /// Runs read-only work on a pooled connection.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs `body` as one write transaction: all of it commits, or none of it does. A backend may
    /// run `body` again after a serialization conflict, so it must not have effects outside the
    /// database. Events it emitted go to the sink after the commit. With `locking`, `body`
    /// serializes itself by locking the rows it changes (`SELECT ... FOR UPDATE`, as a state
    /// proposal locks its run), so PostgreSQL runs it at READ COMMITTED: a transaction that waited
    /// for a lock then reads what the holder committed, instead of failing and starting over.
    func write<T: Sendable>(locking: Bool, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs `body` in a write transaction only if no other process (replica) is running work under
    /// the same `key` right now; returns nil without running it otherwise.
    func writeExclusively<T: Sendable>(key: Int64, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T?

    /// Where events emitted by committed transactions go (the server's event stream).
    func setEventSink(_ handler: @escaping @Sendable ([Event]) async -> Void)

    /// Calls `handler` with the ids of events that other processes (replicas) commit to the shared
    /// database, as they commit, until cancelled or the connection breaks. Returns at once where no
    /// other process writes (SQLite).
    func followEventsOfOtherProcesses(_ handler: @escaping @Sendable ([UUID]) async -> Void) async throws

    /// Brings the query planner's statistics up to date for the tables that changed enough to
    /// matter since they were last measured, so a database that grows under a running server gets
    /// the plans a fresh start (or a manual ANALYZE) would give it; returns the tables measured.
    func refreshStatistics() async throws -> [String]

    /// Closes every connection.
    func close() async
}

extension StoreBackend {
    /// A write transaction that relies on the database's isolation (SERIALIZABLE on PostgreSQL).
    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await write(locking: false, body)
    }
}

/// Runs `body` between `begin` and COMMIT on one connection, rolling back if it throws.
func inTransaction<T: Sendable>(_ db: any SQLDatabase, begin: SQLQueryString, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
{
    try await db.raw(begin).run()
    do {
        let result = try await body(db)
        try await db.raw("COMMIT").run()
        return result
    } catch {
        // Deliberate try?: the transaction's own error is the one to report.
        try? await db.raw("ROLLBACK").run()
        throw error
    }
}

/// Delivers the events a transaction emitted to the sink once it commits.
final class EventDelivery: Sendable {
    /// The handler inside a struct: a function stored directly as the box's generic value is
    /// re-abstracted on every `withLockedValue` (its `inout` is written back wrapped in two more
    /// thunks), so each write that emitted events added two thunks to every later delivery: after
    /// some 17,000 such writes a delivery ran some 17,000 pairs of thunks (a uprobe's count), a
    /// quarter of the server's CPU under the write benchmark.
    private struct Sink { var handler: (@Sendable ([Event]) async -> Void)? }
    private let sink = NIOLockedValueBox(Sink())

    func set(_ handler: @escaping @Sendable ([Event]) async -> Void) {
        sink.withLockedValue { $0.handler = handler }
    }

    /// Runs one transaction attempt with a fresh collector; hands what it emitted to the sink after `commit` returns.
    func collecting<T: Sendable>(_ attempt: () async throws -> T) async throws -> T {
        let collector = EventCollector()
        let result = try await EventCollector.$current.withValue(collector) { try await attempt() }
        let emitted = collector.events
        if !emitted.isEmpty, let handler = sink.withLockedValue({ $0.handler }) { await handler(emitted) }
        return result
    }
}

/// Where the database is: an SQLite file or a PostgreSQL server, from the URL forms the reference
/// accepts (`sqlite+aiosqlite:///path`, `sqlite:///path`, `postgresql+asyncpg://...`,
/// `postgresql://...`, `postgres://...`) or a bare file path.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Parses a database URL or path.
    public static func parse(_ url: String) throws -> DatabaseLocation {
        for prefix in ["sqlite+aiosqlite:///", "sqlite:///", "sqlite://", "sqlite:"] where url.hasPrefix(prefix) {
            let rest = String(url.dropFirst(prefix.count))
            let path = rest.split(separator: "?", maxSplits: 1).first.map(String.init) ?? rest
            return .sqlite(path: prefix.hasSuffix("///") ? "/" + path : path)
        }
        for scheme in ["postgresql+asyncpg", "postgresql", "postgres"] where url.hasPrefix(scheme + "://") {
            return .postgres(try PostgresLocation(url: String(url.dropFirst(scheme.count + 3))))
        }
        if url.contains("://") {
            throw DatabaseURLError(
                message: "unsupported database URL (use sqlite:///path or postgresql://user:password@host:port/database): \(withoutCredentials(url))"
            )
        }
        return .sqlite(path: url)
    }

    /// The location without its password, for logs.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:///\(path.hasPrefix("/") ? String(path.dropFirst()) : path)"
        case .postgres(let p): return "postgresql://\(p.username)@\(p.host):\(p.port)/\(p.database)"
        }
    }
}

/// A URL with whatever stands between `://` and `@` (user and password) left out, for messages.
func withoutCredentials(_ url: String) -> String {
    guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
    return String(url[..<scheme.upperBound]) + "***" + String(url[at...])
}

/// A PostgreSQL server, database and credentials.
public struct PostgresLocation: Sendable, Equatable {
    public var host = "localhost"
    public var port = 5432
    public var username = "postgres"
    public var password: String?
    public var database = "postgres"
    /// A Unix socket directory (`?host=/path`), used instead of TCP when set.
    public var socketDirectory: String?
    /// `?sslmode=`: `disable`, `require`, or `prefer` (the default).
    public var sslMode = "prefer"

    /// Parses `user:password@host:port/database?host=/socket/dir` (the part after the scheme).
    init(url rest: String) throws {
        var main = rest
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            main = String(rest[..<q])
            query = String(rest[rest.index(after: q)...])
        }
        var hostPart = main
        if let at = main.lastIndex(of: "@") {
            let credentials = String(main[..<at])
            hostPart = String(main[main.index(after: at)...])
            let pieces = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            username = pieces[0].removingPercentEncoding ?? String(pieces[0])
            if pieces.count > 1 { password = pieces[1].removingPercentEncoding ?? String(pieces[1]) }
        }
        if let slash = hostPart.firstIndex(of: "/") {
            let db = String(hostPart[hostPart.index(after: slash)...])
            if !db.isEmpty { database = db.removingPercentEncoding ?? db }
            hostPart = String(hostPart[..<slash])
        }
        if let colon = hostPart.lastIndex(of: ":") {
            guard let p = Int(hostPart[hostPart.index(after: colon)...]) else { throw DatabaseURLError(message: "bad port in database URL") }
            port = p
            hostPart = String(hostPart[..<colon])
        }
        if !hostPart.isEmpty { host = hostPart }
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            if kv.count == 2, kv[0] == "host", kv[1].hasPrefix("/") { socketDirectory = kv[1] }
            if kv.count == 2, kv[0] == "sslmode" || kv[0] == "ssl" { sslMode = kv[1] == "false" ? "disable" : kv[1] }
        }
    }
}

/// A database URL Weir cannot use.
public struct DatabaseURLError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
