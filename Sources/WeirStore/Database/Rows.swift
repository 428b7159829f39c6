import Foundation
import SQLKit
import WeirModels

/// A failure the API reports as a client error; the store knows nothing of HTTP status codes.
public struct StoreError: Error, Sendable, Equatable {
    /// What kind of failure.
    public enum Kind: Sendable { case notFound, conflict, forbidden, badRequest, unavailable }
    public var kind: Kind
    /// The reference's message.
    public var message: String

    static func notFound(_ m: String) -> StoreError { StoreError(kind: .notFound, message: m) }
    static func conflict(_ m: String) -> StoreError { StoreError(kind: .conflict, message: m) }
    static func forbidden(_ m: String) -> StoreError { StoreError(kind: .forbidden, message: m) }
    static func badRequest(_ m: String) -> StoreError { StoreError(kind: .badRequest, message: m) }

    /// The database cannot be reached (PostgreSQL down or restarting); the request may be retried.
    static let unavailable = StoreError(kind: .unavailable, message: "Service Unavailable: the database is not reachable, retry shortly.")

    /// The reference's answer to a broken foreign key or unique constraint.
    static let integrity = StoreError.conflict(
        "Data integrity conflict. This usually means a unique or foreign key constraint was violated. See server logs for details."
    )
}

/// Typed column access over SQLKit rows, in the stored representation (UUIDs as lowercase text,
/// timestamps as integer microseconds, JSON as text, booleans as integers).
/// SQLite rows are read directly (``SQLiteStoredRow``); other rows through `Decodable`.
extension SQLRow {
    func string(_ c: String) -> String { optString(c) ?? "" }
    func optString(_ c: String) -> String? {
        if let r = self as? SQLiteStoredRow { return r.text(c) }
        return (try? decode(column: c, as: String?.self)) ?? nil
    }
    func int(_ c: String) -> Int { optInt(c) ?? 0 }
    func optInt(_ c: String) -> Int? {
        if let r = self as? SQLiteStoredRow { return r.integer(c) }
        return (try? decode(column: c, as: Int?.self)) ?? nil
    }
    func double(_ c: String) -> Double {
        if let r = self as? SQLiteStoredRow { return r.real(c) ?? 0 }
        return (try? decode(column: c, as: Double.self)) ?? 0
    }
    func bool(_ c: String) -> Bool { int(c) != 0 }
    func uuid(_ c: String) -> UUID { optUUID(c) ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) }
    func optUUID(_ c: String) -> UUID? { optString(c).flatMap { UUID(uuidString: $0) } }
    func timestamp(_ c: String) -> Timestamp { Timestamp(microseconds: Int64(int(c))) }
    func optTimestamp(_ c: String) -> Timestamp? { optInt(c).map { Timestamp(microseconds: Int64($0)) } }
    func json(_ c: String) -> RawJSON { RawJSON(string(c)) }
    func optJSON(_ c: String) -> RawJSON? { optString(c).map(RawJSON.init) }
    func tags(_ c: String) -> [String] {
        guard case .array(let items)? = try? JSONParser.parse(string(c)) else { return [] }
        return items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }
    func stateType(_ c: String) -> StateType? { optString(c).flatMap(StateType.init(rawValue:)) }
}

extension Optional where Wrapped == UUID {
    /// The stored form of an optional id.
    var stored: String? { self?.lowercased }
}

extension Optional where Wrapped == Timestamp {
    /// The stored form of an optional timestamp.
    var stored: Int64? { self?.microseconds }
}

/// `est_run_time` and `est_lateness` (seconds) of flow or task runs at `now`: the read-time
/// estimates of `RunTiming`, in SQL, for history and lateness.
func runEstimates(table: String, now: Timestamp) -> String {
    let n = now.microseconds
    return """
        CASE WHEN \(table).state_type = 'RUNNING' AND \(table).state_timestamp IS NOT NULL
             THEN \(table).total_run_time + (\(n) - \(table).state_timestamp) / CAST(1000000 AS DOUBLE PRECISION) ELSE \(table).total_run_time END AS est_run_time,
        CASE WHEN \(table).start_time IS NOT NULL AND \(table).expected_start_time IS NOT NULL AND \(table).start_time > \(table).expected_start_time
             THEN (\(table).start_time - \(table).expected_start_time) / CAST(1000000 AS DOUBLE PRECISION)
             WHEN \(table).start_time IS NULL AND \(table).expected_start_time IS NOT NULL AND \(table).expected_start_time < \(n)
                  AND coalesce(\(table).state_type, '') NOT IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED')
             THEN (\(n) - \(table).expected_start_time) / CAST(1000000 AS DOUBLE PRECISION) ELSE 0 END AS est_lateness
        """
}

/// JSON text for a list of strings.
func tagsJSON(_ tags: [String]) -> String { JSONValue.array(tags.map(JSONValue.string)).jsonText }

/// Binds for an INSERT: column names and values, built up in order.
struct Columns {
    private(set) var names: [String] = []
    private(set) var values: [any SQLExpression] = []

    mutating func set(_ name: String, _ value: (any Encodable & Sendable)?) {
        names.append(name)
        if let value { values.append(SQLBind(value)) } else { values.append(SQLLiteral.null) }
    }

    /// `INSERT INTO table (...) VALUES (...)` with an optional suffix (e.g. ON CONFLICT).
    func insert(into table: String, suffix: String = "") -> SQLQueryString {
        "INSERT INTO \(ident: table) (\(SQLList(names.map { SQLIdentifier($0) }))) VALUES (\(SQLList(values)))\(unsafeRaw: suffix)"
    }

    /// One `INSERT` of several rows (all with the same columns, in the same order).
    static func insert(_ rows: [Columns], into table: String, suffix: String = "") -> SQLQueryString {
        let values = rows.map { SQLQueryString("(\(SQLList($0.values)))") as any SQLExpression }
        return "INSERT INTO \(ident: table) (\(SQLList(rows[0].names.map { SQLIdentifier($0) }))) VALUES \(SQLList(values))\(unsafeRaw: suffix)"
    }

    /// `UPDATE table SET ... WHERE id = ?`.
    func update(_ table: String, id: UUID) -> SQLQueryString {
        let assignments = zip(names, values).map { SQLQueryString("\(ident: $0.0) = \($0.1)") as any SQLExpression }
        return "UPDATE \(ident: table) SET \(SQLList(assignments)) WHERE id = \(bind: id.lowercased)"
    }
}

extension SQLDatabase {
    /// ` FOR UPDATE` where the database has row locks (PostgreSQL); SQLite's writer is already exclusive.
    var rowLock: String { dialect.name == "sqlite" ? "" : " FOR UPDATE" }
}

/// Maps constraint failures (unique, foreign key, not null) to the reference's 409.
func mapIntegrity<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let e as StoreError {
        throw e
    } catch {
        if isConstraintViolation(error) { throw StoreError.integrity }
        throw error
    }
}
