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

/// Builds a JSON object's pairs in order, a repeated key replacing the earlier value where it
/// stands (Python's `dict`, so the reference's behaviour for duplicate keys and merges), in time
/// linear in the number of keys: small objects are scanned, larger ones keep a hash of positions
/// (Swift's hashing is seeded per process, so crafted keys cannot make it collide).
public struct JSONObjectBuilder {
    /// The pairs so far, each key once.
    public private(set) var pairs: [(String, JSONValue)] = []
    /// Each key's position, kept once the object outgrows a scan. Keyed by the UTF-8 bytes, as
    /// Python compares keys: Swift's `String` equality would merge `é` and `e` + U+0301.
    private var positions: [[UInt8]: Int]?
    /// Up to this many keys a linear scan is cheaper than hashing.
    private static let scanLimit = 8

    /// An empty object.
    public init() {}

    /// Sets `key` to `value`: in place if the key is already there, else at the end.
    public mutating func set(_ key: String, _ value: JSONValue) {
        if positions != nil {
            let bytes = Array(key.utf8)
            if let at = positions![bytes] {
                pairs[at].1 = value
                return
            }
            pairs.append((key, value))
            positions![bytes] = pairs.count - 1
            return
        }
        if let at = pairs.firstIndex(where: { $0.0.utf8.elementsEqual(key.utf8) }) {
            pairs[at].1 = value
            return
        }
        pairs.append((key, value))
        if pairs.count > Self.scanLimit {
            var index: [[UInt8]: Int] = [:]
            index.reserveCapacity(pairs.count * 2)
            for (i, pair) in pairs.enumerated() { index[Array(pair.0.utf8)] = i }
            positions = index
        }
    }

    /// The object built.
    public var value: JSONValue { .object(pairs) }

    /// The objects among `parts` merged left to right (later keys win; non-objects are skipped),
    /// as Python's `a | b | c`.
    public static func merge(_ parts: [JSONValue]) -> JSONValue {
        var builder = JSONObjectBuilder()
        for case .object(let pairs) in parts {
            for (k, v) in pairs { builder.set(k, v) }
        }
        return builder.value
    }
}
