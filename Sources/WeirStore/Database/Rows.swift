import Foundation
import SQLKit
import WeirModels

/// A failure the API reports as a client error; the store knows nothing of HTTP status codes.
public struct StoreError: Error, Sendable, Equatable {
    /// What kind of failure.
    public enum Kind: Sendable { case notFound, conflict, forbidden, badRequest, unprocessable, unavailable }
    public var kind: Kind
    /// The reference's message.
    public var message: String

    static func notFound(_ m: String) -> StoreError { StoreError(kind: .notFound, message: m) }
    static func conflict(_ m: String) -> StoreError { StoreError(kind: .conflict, message: m) }
    static func forbidden(_ m: String) -> StoreError { StoreError(kind: .forbidden, message: m) }
    static func badRequest(_ m: String) -> StoreError { StoreError(kind: .badRequest, message: m) }
    static func unprocessable(_ m: String) -> StoreError { StoreError(kind: .unprocessable, message: m) }

    /// The database cannot be reached (PostgreSQL down or restarting); the request may be retried.
    static let unavailable = StoreError(kind: .unavailable, message: "Service Unavailable: the database is not reachable, retry shortly.")

    /// The reference's answer to a broken foreign key or unique constraint.
    static let integrity = StoreError.conflict(
        "Data integrity conflict. This usually means a unique or foreign key constraint was violated. See server logs for details."
    )
}

/// Typed column access over SQLKit rows, in the stored representation (UUIDs as lowercase text,
/// timestamps as integer microseconds, JSON as text, booleans as integers). As SQLKit's `SQLRow`
/// contract, a column the query did not select throws; so does a value of the wrong type, or null
/// in a column read as required (``StoredDataError``): stored data is never replaced by a default.
/// SQLite rows are read directly (``SQLiteStoredRow``); other rows through `Decodable`.
extension SQLRow {
    func optString(_ c: String) throws -> String? {
        if let r = self as? SQLiteStoredRow { return try r.text(c) }
        return try decode(column: c, as: String?.self)
    }
    func optInt(_ c: String) throws -> Int? {
        if let r = self as? SQLiteStoredRow { return try r.integer(c) }
        return try decode(column: c, as: Int?.self)
    }
    func optDouble(_ c: String) throws -> Double? {
        if let r = self as? SQLiteStoredRow { return try r.real(c) }
        return try decode(column: c, as: Double?.self)
    }
    func string(_ c: String) throws -> String { try required(c, optString(c)) }
    func int(_ c: String) throws -> Int { try required(c, optInt(c)) }
    func double(_ c: String) throws -> Double { try required(c, optDouble(c)) }
    func bool(_ c: String) throws -> Bool { try int(c) != 0 }
    func uuid(_ c: String) throws -> UUID { try required(c, optUUID(c)) }
    func optUUID(_ c: String) throws -> UUID? {
        guard let text = try optString(c) else { return nil }
        guard let id = UUID(uuidString: text) else { throw StoredDataError(c, "not a UUID: \(text)") }
        return id
    }
    func timestamp(_ c: String) throws -> Timestamp { Timestamp(microseconds: Int64(try int(c))) }
    func optTimestamp(_ c: String) throws -> Timestamp? { try optInt(c).map { Timestamp(microseconds: Int64($0)) } }
    func json(_ c: String) throws -> RawJSON { RawJSON(try string(c)) }
    func optJSON(_ c: String) throws -> RawJSON? { try optString(c).map(RawJSON.init) }
    /// A stored JSON document, parsed.
    func jsonValue(_ c: String) throws -> JSONValue {
        let text = try string(c)
        do {
            return try JSONParser.parse(text)
        } catch {
            throw StoredDataError(c, "not JSON: \(error.message)")
        }
    }
    /// A stored JSON document, parsed, or nil when the column is null.
    func optJSONValue(_ c: String) throws -> JSONValue? {
        guard try optString(c) != nil else { return nil }
        return try jsonValue(c)
    }
    /// A stored JSON object, for reading keys (``StoredObject``).
    func object(_ c: String) throws -> StoredObject { try StoredObject(jsonValue(c), location: c) }
    func optObject(_ c: String) throws -> StoredObject? {
        guard let text = try optString(c) else { return nil }
        return try StoredObject(text: text, location: c)
    }
    /// A JSON list of strings (tags).
    func tags(_ c: String) throws -> [String] {
        guard case .array(let items) = try jsonValue(c) else { throw StoredDataError(c, "not a list of strings") }
        return try items.map { item in
            guard case .string(let s) = item else { throw StoredDataError(c, "not a list of strings") }
            return s
        }
    }
    func stateType(_ c: String) throws -> StateType? {
        guard let text = try optString(c) else { return nil }
        guard let type = StateType(rawValue: text) else { throw StoredDataError(c, "unknown state type \(text)") }
        return type
    }

    private func required<T>(_ c: String, _ value: T?) throws -> T {
        guard let value else { throw StoredDataError(c, "null in a required column") }
        return value
    }
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
/// estimates of `RunTiming`, in SQL, for history, lateness and the duration sorts. `now` is a
/// bound parameter, so each call reuses one prepared statement.
struct RunEstimates {
    /// `flow_run` or `task_run`.
    let table: String
    let now: Timestamp

    private func c(_ name: String) -> SQLColumn { SQLColumn(name, table: table) }

    /// The run time so far: the total, plus the current stretch when running.
    var runTime: SQLQueryString {
        """
        (CASE WHEN \(c("state_type")) = 'RUNNING' AND \(c("state_timestamp")) IS NOT NULL
         THEN \(c("total_run_time")) + (\(bind: now.microseconds) - \(c("state_timestamp"))) / CAST(1000000 AS DOUBLE PRECISION)
         ELSE \(c("total_run_time")) END)
        """
    }

    /// How late the run started, or is, against its expected start.
    var lateness: SQLQueryString {
        """
        (CASE WHEN \(c("start_time")) IS NOT NULL AND \(c("expected_start_time")) IS NOT NULL AND \(c("start_time")) > \(c("expected_start_time"))
         THEN (\(c("start_time")) - \(c("expected_start_time"))) / CAST(1000000 AS DOUBLE PRECISION)
         WHEN \(c("start_time")) IS NULL AND \(c("expected_start_time")) IS NOT NULL AND \(c("expected_start_time")) < \(bind: now.microseconds)
          AND coalesce(\(c("state_type")), '') NOT IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED')
         THEN (\(bind: now.microseconds) - \(c("expected_start_time"))) / CAST(1000000 AS DOUBLE PRECISION) ELSE 0 END)
        """
    }

    /// Both, as select columns named `est_run_time` and `est_lateness`.
    var columns: SQLQueryString { "\(runTime) AS est_run_time, \(lateness) AS est_lateness" }
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
