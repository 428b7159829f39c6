import Logging
import NIOCore
import SQLiteKit
import SQLiteNIO
import SQLKit

/// SQLKit over one SQLite connection, as SQLiteKit's own, but handing out rows whose columns the
/// repositories read directly (``SQLiteStoredRow``) instead of through `Decodable` for every column
/// of every row, which was most of Read Flow Runs' time.
struct SQLiteFastDatabase: SQLDatabase {
    let connection: SQLiteConnection
    let encoder = SQLiteDataEncoder()

    var eventLoop: any EventLoop { connection.eventLoop }
    var logger: Logger { connection.logger }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        let (sql, rawBinds) = serialize(query)
        let binds: [SQLiteData]
        do {
            binds = try rawBinds.map { try encoder.encode($0) }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        return connection.query(sql, binds, logger: connection.logger) { onRow(SQLiteStoredRow(row: $0)) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }
}

/// An SQLite row with direct column access for the stored representation (text, integers, reals).
struct SQLiteStoredRow: SQLRow {
    let row: SQLiteRow
    private static let decoder = SQLiteDataDecoder()

    var allColumns: [String] { row.columns.map(\.name) }
    func contains(column: String) -> Bool { row.column(column) != nil }
    func decodeNil(column: String) throws -> Bool { (row.column(column) ?? .null) == .null }
    func decode<D: Decodable>(column: String, as: D.Type) throws -> D {
        guard let data = row.column(column) else { throw MissingColumn(column: column) }
        return try Self.decoder.decode(D.self, from: data)
    }

    /// A text column (nil when null or absent).
    func text(_ c: String) -> String? {
        switch row.column(c) {
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .float(let d): return String(d)
        default: return nil
        }
    }

    /// An integer column (nil when null or absent).
    func integer(_ c: String) -> Int? {
        switch row.column(c) {
        case .integer(let i): return i
        case .float(let d): return Int(d)
        case .text(let s): return Int(s)
        default: return nil
        }
    }

    /// A real column (nil when null or absent).
    func real(_ c: String) -> Double? {
        switch row.column(c) {
        case .float(let d): return d
        case .integer(let i): return Double(i)
        case .text(let s): return Double(s)
        default: return nil
        }
    }
}

/// A column a query did not select.
struct MissingColumn: Error {
    let column: String
}
