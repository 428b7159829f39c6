import Foundation
import NIOCore
import SQLiteNIO
import VaporCSQLite

/// One SQLite connection (SQLite as SQLiteNIO vendors it), used only on its own thread.
///
/// SQLiteNIO runs each statement on a thread pool and hands each row back to an event loop: the
/// profile of flow run creation showed a third of the time in thread switches, two or more per
/// statement. Here a whole read or transaction runs on the connection's thread (`run`), statements
/// execute synchronously, and prepared statements are cached per connection.
final class SQLiteHandle: @unchecked Sendable {
    private var db: OpaquePointer?
    private let executor: ThreadExecutor
    private var statements: [String: OpaquePointer] = [:]
    /// Prepared statements kept per connection; past this the cache starts over.
    private static let statementCacheSize = 256

    private init() {
        executor = ThreadExecutor()
    }

    /// Opens (creating if needed) the database file at `path` on a new connection thread.
    static func open(path: String) async throws -> SQLiteHandle {
        let handle = SQLiteHandle()
        do {
            try await handle.run { try handle.openOnThread(path) }
        } catch {
            handle.executor.stop()
            throw error
        }
        return handle
    }

    private func openOnThread(_ path: String) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let rc = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            let failure = SQLiteFailure(
                code: rc,
                message: db.flatMap { sqlite_nio_sqlite3_errmsg($0).map { String(cString: $0) } } ?? "cannot open \(path)"
            )
            sqlite_nio_sqlite3_close(db)
            db = nil
            throw failure
        }
        sqlite_nio_sqlite3_extended_result_codes(db, 1)
    }

    /// Runs `body` with this connection's thread as the task's executor: the statements it runs
    /// (and the non-isolated code between them) run there without switching threads.
    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(executor, operation: body)
    }

    /// Whether the caller is on this connection's thread.
    var isCurrent: Bool { executor.isCurrent }

    /// Runs one statement with its parameters, calling `onRow` for each result row. Must run on
    /// the connection's thread.
    func query(_ sql: String, _ binds: [SQLiteData], _ onRow: (SQLiteStoredRow) -> Void) throws {
        guard let db else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed") }
        precondition(isCurrent, "SQLite connection used off its thread")
        let statement = try prepared(sql, db)
        // Reset only: every parameter is bound again on the next use. `sqlite3_clear_bindings`
        // would also expire any statement whose plan looked at a parameter (`id = ?` with a join,
        // `LIMIT ?`), so that it was compiled again on every use (6% of the server's CPU under
        // flow run creation).
        defer { sqlite_nio_sqlite3_reset(statement) }
        guard Int(sqlite_nio_sqlite3_bind_parameter_count(statement)) == binds.count else {
            throw SQLiteFailure(code: SQLITE_RANGE, message: "\(binds.count) values for the parameters of \(sql)")
        }
        for (i, value) in binds.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .integer(let v): rc = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(v))
            case .float(let v): rc = sqlite_nio_sqlite3_bind_double(statement, index, v)
            case .text(let v): rc = sqlite_nio_sqlite3_bind_text64(statement, index, v, UInt64(v.utf8.count), transient, UInt8(SQLITE_UTF8))
            case .blob(let v):
                rc = v.withUnsafeReadableBytes { sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), transient) }
            case .null: rc = sqlite_nio_sqlite3_bind_null(statement, index)
            }
            guard rc == SQLITE_OK else { throw failure(rc, db) }
        }
        var columns: SQLiteColumns?
        while true {
            let rc = sqlite_nio_sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw failure(rc, db) }
            let count = Int32(sqlite_nio_sqlite3_column_count(statement))
            if columns == nil {
                columns = SQLiteColumns((0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) })
            }
            var values: [SQLiteData] = []
            values.reserveCapacity(Int(count))
            for c in 0..<count { values.append(value(statement, c)) }
            onRow(SQLiteStoredRow(columns: columns!, values: values))
        }
    }

    private func value(_ statement: OpaquePointer, _ c: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, c) {
        case SQLITE_INTEGER: return .integer(.init(sqlite_nio_sqlite3_column_int64(statement, c)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, c))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, c) else { return .text("") }
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, c))
            return .text(String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, c))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let blob = sqlite_nio_sqlite3_column_blob(statement, c) { buffer.writeBytes(UnsafeRawBufferPointer(start: blob, count: length)) }
            return .blob(buffer)
        default: return .null
        }
    }

    private func prepared(_ sql: String, _ db: OpaquePointer) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        if statements.count >= Self.statementCacheSize { finalizeStatements() }
        var statement: OpaquePointer?
        let rc = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            sqlite_nio_sqlite3_finalize(statement)
            throw failure(rc, db)
        }
        statements[sql] = statement
        return statement
    }

    private func finalizeStatements() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements.removeAll()
    }

    private func failure(_ rc: Int32, _ db: OpaquePointer) -> SQLiteFailure {
        SQLiteFailure(code: rc, message: String(cString: sqlite_nio_sqlite3_errmsg(db)))
    }

    /// After each commit on this connection, SQLite calls `hook` (on this thread) with the number
    /// of frames in the write-ahead log; when it answers true, this connection checkpoints then
    /// and there. It replaces SQLite's automatic checkpoints.
    func setWALHook(_ hook: WALHook) async throws {
        try await run {
            sqlite_nio_sqlite3_wal_hook(
                db,
                { context, db, _, frames in
                    if Unmanaged<WALHook>.fromOpaque(context!).takeUnretainedValue().committed(frames: Int(frames)) {
                        sqlite_nio_sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                    }
                    return SQLITE_OK
                },
                Unmanaged.passUnretained(hook).toOpaque()
            )
        }
    }

    /// Copies committed pages from the write-ahead log into the database file as far as readers
    /// allow, without blocking the writer or readers (a passive checkpoint).
    /// Rows this connection has inserted, updated or deleted since it opened (the writer's count
    /// is every change to the database). Must run on the connection's thread.
    func totalChanges() -> Int {
        guard let db else { return 0 }
        precondition(isCurrent, "SQLite connection used off its thread")
        return Int(sqlite_nio_sqlite3_total_changes64(db))
    }

    func checkpoint() throws {
        guard let db else { return }
        precondition(isCurrent, "SQLite connection used off its thread")
        let rc = sqlite_nio_sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        guard rc == SQLITE_OK || rc == SQLITE_BUSY else { throw failure(rc, db) }
    }

    /// Finalizes the statements, closes the connection and ends its thread.
    func close() async {
        // Deliberate try?: closing has nothing to report to; the connection is gone either way.
        try? await run {
            sqlite_nio_sqlite3_wal_hook(db, nil, nil)
            finalizeStatements()
            sqlite_nio_sqlite3_close(db)
            db = nil
        }
        executor.stop()
    }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// What a connection's commits report to (``SQLiteHandle/setWALHook(_:)``).
class WALHook: @unchecked Sendable {
    func committed(frames: Int) -> Bool { false }
}

/// An error SQLite returned, with its (extended) result code and message.
struct SQLiteFailure: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { "SQLite error \(code): \(message)" }
    /// A unique, foreign key, not-null or check constraint failed.
    var isConstraintViolation: Bool { code & 0xff == SQLITE_CONSTRAINT }
}

/// The column names of a statement's rows, shared by its rows.
final class SQLiteColumns: Sendable {
    let names: [String]
    let index: [String: Int]

    init(_ names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
        self.index = index
    }
}
