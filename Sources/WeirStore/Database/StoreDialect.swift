import SQLKit

/// The one place where SQL differs between databases: JSON tag tests, JSON field access, and the
/// schema DDL. Everything else is rendered by SQLKit from the same expressions.
public enum StoreDialect: Sendable {
    case sqlite

    /// The JSON tag array in `column` holds `tag`.
    func tagsContain(_ column: any SQLExpression, _ tag: String) -> any SQLExpression {
        SQLQueryString("EXISTS (SELECT 1 FROM json_each(\(column)) WHERE json_each.value = \(bind: tag))")
    }

    /// The JSON tag array in `column` holds at least one of `tags`.
    func tagsOverlap(_ column: any SQLExpression, _ tags: [String]) -> any SQLExpression {
        SQLQueryString("EXISTS (SELECT 1 FROM json_each(\(column)) WHERE json_each.value IN (\(binds: tags)))")
    }

    /// The JSON tag array in `column` is empty.
    func tagsEmpty(_ column: any SQLExpression) -> any SQLExpression {
        SQLQueryString("\(column) = '[]'")
    }

    /// A string field of a JSON object column, as text.
    func jsonText(_ column: any SQLExpression, field: String) -> any SQLExpression {
        SQLQueryString("json_extract(\(column), \(literal: "$." + field))")
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

    /// Case-insensitive (ASCII) LIKE with `%`/`_` as wildcards and no escape character, as the
    /// reference's `ILIKE` behaves on SQLite.
    func ilike(_ column: any SQLExpression, pattern: String) -> any SQLExpression {
        SQLQueryString("\(column) LIKE \(bind: pattern)")
    }
}
