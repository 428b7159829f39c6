/// A parsed JSON document that keeps object key order and number lexemes, so opaque user data
/// (parameters, context, result records) round-trips exactly as the client sent it.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, kept as its JSON lexeme (`1`, `1.5`, `-2e3`).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// An object as ordered key/value pairs; a repeated key keeps its last value, as Python does.
    case object([(String, JSONValue)])

    /// Structural equality; objects compare by key order as well.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value for `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.last(where: { $0.0 == key })?.1
    }

    /// Whether this is JSON `null`.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The compact JSON text of this value.
    public var jsonText: String {
        var writer = JSONWriter()
        writer.value(self)
        return writer.output
    }

    /// An empty JSON object.
    public static let emptyObject = JSONValue.object([])

    /// The pydantic name of this value's JSON type, used in validation messages.
    public var typeName: String {
        switch self {
        case .null: return "NoneType"
        case .bool: return "bool"
        case .number(let s): return JSONValue.isIntegerLexeme(s) ? "int" : "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        }
    }

    /// Whether a number lexeme has no fraction or exponent.
    public static func isIntegerLexeme(_ s: String) -> Bool {
        !s.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
    }
}
