import Foundation
import SQLKit
import WeirModels

/// The one place where SQL differs between databases: JSON tag tests, JSON field access,
/// case-insensitive matching and null ordering. Everything else is rendered by SQLKit from the
/// same expressions.
public enum StoreDialect: Sendable {
    case sqlite
    case postgres

    /// The JSON tag array in `column` holds every one of `tags` (PostgreSQL: one `@>` test that
    /// the GIN index on `tags::jsonb` serves).
    ///
    /// SQLite: Weir writes every tag array with its own JSON writer, so a tag in the array appears
    /// in the column's text exactly as the writer encodes it; `instr` on that text is a cheap
    /// necessary condition that spares most rows `json_each` (which stays the exact test: the
    /// encoded tag can also occur inside a longer tag).
    func tagsContainAll(_ column: any SQLExpression, _ tags: [String]) -> any SQLExpression {
        let unique = Array(Set(tags)).sorted()
        switch self {
        case .sqlite:
            let parts = unique.map {
                SQLQueryString(
                    "(instr(\(column), \(bind: JSONValue.string($0).jsonText)) > 0 AND EXISTS (SELECT 1 FROM json_each(\(column)) WHERE json_each.value = \(bind: $0)))"
                ) as any SQLExpression
            }
            return SQLQueryString("(\(SQLList(parts, separator: SQLRaw(" AND "))))")
        case .postgres:
            return SQLQueryString("(CAST(\(column) AS jsonb) @> CAST(\(bind: tagsJSON(unique)) AS jsonb))")
        }
    }

    /// The JSON tag array in `column` holds at least one of `tags` (SQLite: with the `instr`
    /// pre-test of ``tagsContainAll(_:_:)``).
    func tagsOverlap(_ column: any SQLExpression, _ tags: [String]) -> any SQLExpression {
        switch self {
        case .sqlite:
            guard !tags.isEmpty else { return SQLQueryString("0") }
            let present = tags.map { SQLQueryString("instr(\(column), \(bind: JSONValue.string($0).jsonText)) > 0") as any SQLExpression }
            return SQLQueryString(
                "((\(SQLList(present, separator: SQLRaw(" OR ")))) AND EXISTS (SELECT 1 FROM json_each(\(column)) WHERE json_each.value IN (\(binds: tags))))"
            )
        case .postgres: return SQLQueryString("(CAST(\(column) AS jsonb) ?| \(bind: tags))")
        }
    }

    /// The JSON tag array in `column` is empty.
    func tagsEmpty(_ column: any SQLExpression) -> any SQLExpression {
        SQLQueryString("\(column) = '[]'")
    }

    /// A string field of a JSON object column, as text.
    func jsonText(_ column: any SQLExpression, field: String) -> any SQLExpression {
        switch self {
        case .sqlite: return SQLQueryString("json_extract(\(column), \(literal: "$." + field))")
        case .postgres: return SQLQueryString("(CAST(\(column) AS jsonb) ->> \(literal: field))")
        }
    }

    /// Case-insensitive (ASCII) substring test with `%`, `_` and `/` taken literally.
    func containsText(_ column: any SQLExpression, _ text: String) -> any SQLExpression {
        var escaped = ""
        for ch in text.lowercased() {
            if ch == "%" || ch == "_" || ch == "/" { escaped.append("/") }
            escaped.append(ch)
        }
        return SQLQueryString("lower(\(column)) LIKE \(bind: "%" + escaped + "%") ESCAPE '/'")
    }

    /// Case-insensitive LIKE with `%`/`_` as wildcards and no escape character, as the reference's
    /// `ILIKE` behaves on SQLite.
    func ilike(_ column: any SQLExpression, pattern: String) -> any SQLExpression {
        switch self {
        case .sqlite: return SQLQueryString("\(column) LIKE \(bind: pattern)")
        case .postgres: return SQLQueryString("\(column) ILIKE \(bind: pattern) ESCAPE ''")
        }
    }
}
