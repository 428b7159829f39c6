import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import WeirModels

/// SQLKit over one SQLite connection (``SQLiteHandle``): statements run synchronously on the
/// connection's thread, and rows are ``SQLiteStoredRow``s, whose columns the repositories read
/// directly instead of through `Decodable` for every column of every row.
struct SQLiteFastDatabase: SQLDatabase {
    let handle: SQLiteHandle
    let eventLoop: any EventLoop
    let logger: Logger
    private let encoder = SQLiteDataEncoder()

    init(handle: SQLiteHandle, eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any(), logger: Logger) {
        self.handle = handle
        self.eventLoop = eventLoop
        self.logger = logger
    }

    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await execute(sql: query, onRow) }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, rawBinds) = serialize(query)
        let binds = try rawBinds.map { try encoder.encode($0) }
        if handle.isCurrent {
            try handle.query(sql, binds) { onRow($0) }
        } else {
            try await handle.run { try handle.query(sql, binds) { onRow($0) } }
        }
    }
}

/// An SQLite row with direct column access for the stored representation (text, integers, reals).
struct SQLiteStoredRow: SQLRow {
    let columns: SQLiteColumns
    let values: [SQLiteData]
    private static let decoder = SQLiteDataDecoder()

    func column(_ name: String) -> SQLiteData? { columns.index[name].map { values[$0] } }

    var allColumns: [String] { columns.names }
    func contains(column: String) -> Bool { columns.index[column] != nil }
    func decodeNil(column: String) throws -> Bool { (self.column(column) ?? .null) == .null }
    func decode<D: Decodable>(column: String, as: D.Type) throws -> D {
        guard let data = self.column(column) else { throw MissingColumn(column: column) }
        return try Self.decoder.decode(D.self, from: data)
    }

    /// A column's value; a column the query did not select throws.
    private func stored(_ c: String) throws -> SQLiteData {
        guard let value = column(c) else { throw MissingColumn(column: c) }
        return value
    }

    /// A text column (nil when null).
    func text(_ c: String) throws -> String? {
        switch try stored(c) {
        case .text(let s): return s
        case .null: return nil
        default: throw StoredDataError(c, "expected text")
        }
    }

    /// An integer column (nil when null); a real with no fraction reads as an integer.
    func integer(_ c: String) throws -> Int? {
        switch try stored(c) {
        case .integer(let i): return i
        case .float(let d) where Int(exactly: d) != nil: return Int(d)
        case .null: return nil
        default: throw StoredDataError(c, "expected an integer")
        }
    }

    /// A real column (nil when null); integers read as reals.
    func real(_ c: String) throws -> Double? {
        switch try stored(c) {
        case .float(let d): return d
        case .integer(let i): return Double(i)
        case .null: return nil
        default: throw StoredDataError(c, "expected a number")
        }
    }
}

/// A column a query did not select.
struct MissingColumn: Error {
    let column: String
}
