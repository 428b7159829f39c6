import Foundation

/// One element of an error location: an object key or an array index, as pydantic reports it.
public enum LocationItem: Sendable, Equatable {
    case key(String)
    case index(Int)
}

/// One validation failure in pydantic's shape (`type`, `loc`, `msg`, `input`, `ctx`).
public struct ValidationIssue: Sendable, Equatable {
    /// The pydantic error type, e.g. `missing`, `extra_forbidden`, `int_parsing`.
    public var type: String
    /// Where the bad value is, starting with `body`, `path` or `query`.
    public var loc: [LocationItem]
    /// The pydantic message.
    public var msg: String
    /// The offending input (absent for `missing` on a non-object).
    public var input: JSONValue?
    /// Extra context pydantic attaches (`{"ge": 0}`, `{"expected": ...}`).
    public var ctx: JSONValue?

    /// Creates an issue.
    public init(type: String, loc: [LocationItem], msg: String, input: JSONValue?, ctx: JSONValue? = nil) {
        self.type = type
        self.loc = loc
        self.msg = msg
        self.input = input
        self.ctx = ctx
    }
}

/// A request that failed validation; answered 422 in the reference's shape.
public struct ValidationFailure: Error, Sendable {
    /// Every issue found, in document order.
    public var issues: [ValidationIssue]
    /// Creates a failure from issues.
    public init(_ issues: [ValidationIssue]) { self.issues = issues }
}

/// Collects issues while a request body is decoded, so one answer reports every problem.
public final class ValidationContext {
    /// The issues found so far.
    public private(set) var issues: [ValidationIssue] = []

    /// A fresh context.
    public init() {}

    /// Records an issue.
    public func add(_ issue: ValidationIssue) { issues.append(issue) }

    /// Throws the collected issues, if any.
    public func check() throws(ValidationFailure) {
        if !issues.isEmpty { throw ValidationFailure(issues) }
    }
}

/// A JSON value at a location, with pydantic-like lax conversions to Swift types.
/// Each accessor records an issue in the context and returns nil when the value is unusable.
public struct JSONField {
    /// The value (nil when the key is absent).
    public let value: JSONValue?
    /// Its location.
    public let loc: [LocationItem]
    /// Where issues go.
    public let context: ValidationContext
    /// Whether `null` means "not set" (pydantic `Optional[...]`); required fields are not nullable.
    public var nullable = true

    /// A field from a value at a location.
    public init(value: JSONValue?, loc: [LocationItem], context: ValidationContext) {
        self.value = value
        self.loc = loc
        self.context = context
    }

    /// The value to convert: nil when absent, or null on a nullable field.
    private var present: JSONValue? {
        guard let value, !(nullable && value == .null) else { return nil }
        return value
    }

    /// Whether the key is absent or null.
    public var isAbsentOrNull: Bool { value == nil || value == .null }

    /// Records an issue at this location.
    public func fail(_ type: String, _ msg: String, ctx: JSONValue? = nil) {
        context.add(ValidationIssue(type: type, loc: loc, msg: msg, input: value ?? .null, ctx: ctx))
    }

    /// Records that the field is required.
    public func missing(parentInput: JSONValue?) {
        context.add(ValidationIssue(type: "missing", loc: loc, msg: "Field required", input: parentInput ?? .null))
    }

    /// A string (strict: numbers are not strings, as in pydantic).
    public func string() -> String? {
        guard let value = present else { return nil }
        if case .string(let s) = value { return s }
        fail("string_type", "Input should be a valid string")
        return nil
    }

    /// An integer, accepting `"5"`, `5.0` and `true` as pydantic's lax mode does.
    public func int() -> Int? {
        guard let value = present else { return nil }
        switch value {
        case .number(let n):
            if JSONValue.isIntegerLexeme(n) {
                if let i = Int(n) { return i }
                fail("int_parsing_size", "Unable to parse input string as an integer, exceeded maximum size")
                return nil
            }
            if let d = Double(n), d.rounded() == d, abs(d) < 9.2e18 { return Int(d) }
            fail("int_from_float", "Input should be a valid integer, got a number with a fractional part")
            return nil
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespaces)
            if let i = Int(t) { return i }
            if let d = Double(t), d.rounded() == d, abs(d) < 9.2e18, !t.contains("e"), !t.contains("E") { return Int(d) }
            fail("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
            return nil
        default:
            fail("int_type", "Input should be a valid integer")
            return nil
        }
    }

    /// A float, accepting integers and numeric strings.
    public func double() -> Double? {
        guard let value = present else { return nil }
        switch value {
        case .number(let n): return Double(n)
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            if let d = Double(s.trimmingCharacters(in: .whitespaces)) { return d }
            fail("float_parsing", "Input should be a valid number, unable to parse string as a number")
            return nil
        default:
            fail("float_type", "Input should be a valid number")
            return nil
        }
    }

    /// A boolean, accepting pydantic's lax spellings (`"true"`, `"yes"`, `1`, `"off"`, ...).
    public func bool() -> Bool? {
        guard let value = present else { return nil }
        switch value {
        case .bool(let b): return b
        case .number(let n):
            if n == "1" || n == "1.0" { return true }
            if n == "0" || n == "0.0" || n == "-0" { return false }
            fail("bool_parsing", "Input should be a valid boolean, unable to interpret input")
            return nil
        case .string(let s):
            switch s.lowercased() {
            case "true", "t", "yes", "y", "on", "1": return true
            case "false", "f", "no", "n", "off", "0": return false
            default:
                fail("bool_parsing", "Input should be a valid boolean, unable to interpret input")
                return nil
            }
        default:
            fail("bool_type", "Input should be a valid boolean")
            return nil
        }
    }

    /// A UUID in any of the spellings pydantic accepts (hyphens optional, any case, `urn:uuid:`).
    public func uuid() -> UUID? {
        guard let value = present else { return nil }
        guard case .string(let s) = value else {
            fail("uuid_type", "UUID input should be a string, bytes or UUID object")
            return nil
        }
        if let u = JSONField.parseUUID(s) { return u }
        let hex = s.hasPrefix("urn:uuid:") ? String(s.dropFirst(9)) : s
        let stripped = hex.filter { $0 != "-" }
        let problem: String
        if let bad = hex.enumerated().first(where: { !$0.element.isHexDigit && $0.element != "-" }) {
            problem = "invalid character: found `\(bad.element)` at \(bad.offset)"
        } else {
            problem = "invalid length: found \(stripped.count)"
        }
        fail("uuid_parsing", "Input should be a valid UUID, \(problem)", ctx: .object([("error", .string(problem))]))
        return nil
    }

    /// Parses a UUID string leniently (hyphens anywhere, braces, `urn:uuid:`).
    public static func parseUUID(_ s: String) -> UUID? {
        if s.utf8.count == 36, let u = UUID(uuidString: s) { return u }
        var hex = Substring(s)
        if hex.hasPrefix("urn:uuid:") { hex = hex.dropFirst(9) }
        if hex.hasPrefix("{"), hex.hasSuffix("}") { hex = hex.dropFirst().dropLast() }
        let digits = hex.filter { $0 != "-" }
        guard digits.count == 32, digits.allSatisfy(\.isHexDigit) else { return nil }
        let a = Array(digits)
        let canonical = String(a[0..<8]) + "-" + String(a[8..<12]) + "-" + String(a[12..<16]) + "-" + String(a[16..<20]) + "-" + String(a[20..<32])
        return UUID(uuidString: canonical)
    }

    /// A datetime as prefect's `DateTime` reads it: ISO 8601 text (naive = UTC, date-only =
    /// midnight, `/` date separators, compact `YYYYMMDDTHHMMSS`), numeric strings and numbers as
    /// epoch seconds.
    public func timestamp() -> Timestamp? {
        guard let value = present else { return nil }
        switch value {
        case .string(let s):
            if let t = Timestamp(iso8601: s) ?? Timestamp(iso8601: JSONField.expandCompactDate(s)) { return t }
            if let d = Double(s), s.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }), let t = Timestamp(epoch: d) { return t }
            fail("value_error", "Value error, Unable to parse string [\(s)]", ctx: .object([("error", .object([]))]))
            return nil
        case .number(let n):
            if let d = Double(n), let t = Timestamp(epoch: d) { return t }
            fail("value_error", "value is not a valid datetime")
            return nil
        default:
            fail("value_error", "value is not a valid datetime")
            return nil
        }
    }

    /// `2026/01/02` and `20260102T030405Z` rewritten in the extended ISO form.
    static func expandCompactDate(_ s: String) -> String {
        var t = s
        if t.count >= 10, t.dropFirst(4).first == "/", t.dropFirst(7).first == "/" {
            t = t.replacingOccurrences(of: "/", with: "-")
        }
        let chars = Array(t)
        if chars.count >= 8, chars[0..<8].allSatisfy(\.isNumber), chars.count == 8 || chars[8] == "T" {
            var out = String(chars[0..<4]) + "-" + String(chars[4..<6]) + "-" + String(chars[6..<8])
            var rest = Array(chars.dropFirst(8))
            if rest.first == "T" {
                rest.removeFirst()
                let digits = rest.prefix { $0.isNumber }
                if digits.count == 6 || digits.count == 4 {
                    let d = Array(digits)
                    out += "T" + String(d[0..<2]) + ":" + String(d[2..<4]) + (d.count == 6 ? ":" + String(d[4..<6]) : "")
                    out += String(rest.dropFirst(digits.count))
                } else {
                    return s
                }
            }
            return out
        }
        return t
    }

    /// A list of elements, each read with `element`; nil elements are recorded issues.
    public func list<T>(_ element: (JSONField) -> T?) -> [T]? {
        guard let value else { return nil }
        guard case .array(let items) = value else {
            fail("list_type", "Input should be a valid list")
            return nil
        }
        var out: [T] = []
        out.reserveCapacity(items.count)
        var ok = true
        for (i, item) in items.enumerated() {
            if let v = element(JSONField(value: item, loc: loc + [.index(i)], context: context)) { out.append(v) } else { ok = false }
        }
        return ok ? out : nil
    }

    /// A list of strings.
    public func strings() -> [String]? { list { $0.string() } }

    /// A list of UUIDs.
    public func uuids() -> [UUID]? { list { $0.uuid() } }

    /// A JSON object kept opaque (parameters, context, labels, job variables).
    public func object() -> JSONValue? {
        guard let value = present else { return nil }
        if case .object = value { return value }
        fail("dict_type", "Input should be a valid dictionary")
        return nil
    }

    /// A value of a string enum, with pydantic's `enum` error listing the choices.
    public func enumeration<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> E? where E.RawValue == String {
        guard let value = present else { return nil }
        if case .string(let s) = value, let e = E(rawValue: s) { return e }
        let names = E.allCases.map { "'\($0.rawValue)'" }
        let expected = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
        fail("enum", "Input should be \(expected)", ctx: .object([("expected", .string(expected))]))
        return nil
    }

    /// A plain pydantic `datetime` (not Prefect's `DateTime`, which also parses loose strings):
    /// ISO 8601 or epoch seconds; a string that is neither fails with pydantic's parsing error.
    public func plainDatetime() -> Timestamp? {
        guard let value = present else { return nil }
        if case .string(let text) = value, Timestamp(iso8601: text) == nil {
            let reason = text.count < 10 ? "input is too short" : "invalid character in year"
            fail("datetime_from_date_parsing", "Input should be a valid datetime or date, \(reason)", ctx: .object([("error", .string(reason))]))
            return nil
        }
        return timestamp()
    }

    /// Reads this field as a model object with the given known keys.
    public func model(forbidExtra: Bool = true, known: Set<String>) -> ObjectReader? {
        guard let value else { return nil }
        guard case .object = value else {
            fail("model_attributes_type", "Input should be a valid dictionary or object to extract fields from")
            return nil
        }
        return ObjectReader(value: value, loc: loc, context: context, forbidExtra: forbidExtra, known: known)
    }
}

/// Reads the fields of a JSON object, reporting unknown keys when the model forbids extras.
public struct ObjectReader {
    /// The object.
    public let value: JSONValue
    /// Its location.
    public let loc: [LocationItem]
    /// Where issues go.
    public let context: ValidationContext
    /// Whether the object is a FastAPI body of several parameters, where a missing one reports a
    /// null input rather than the object.
    public var embedded = false

    /// A reader over an object; with `forbidExtra`, each key not in `known` is an `extra_forbidden` issue.
    public init(value: JSONValue, loc: [LocationItem], context: ValidationContext, forbidExtra: Bool, known: Set<String>) {
        self.value = value
        self.loc = loc
        self.context = context
        if forbidExtra, case .object(let pairs) = value {
            for (k, v) in pairs where !known.contains(k) {
                context.add(ValidationIssue(type: "extra_forbidden", loc: loc + [.key(k)], msg: "Extra inputs are not permitted", input: v))
            }
        }
    }

    /// The field under `key` (absent when the key is missing).
    public subscript(_ key: String) -> JSONField {
        JSONField(value: value[key], loc: loc + [.key(key)], context: context)
    }

    /// The field under `key`, recording `missing` when absent.
    public func required(_ key: String) -> JSONField? {
        var f = self[key]
        f.nullable = false
        if f.value == nil {
            f.missing(parentInput: embedded ? .null : value)
            return nil
        }
        return f
    }
}

extension JSONField {
    /// The reference's banned name characters.
    public static let bannedNameCharacters: Set<Character> = ["/", "%", "&", ">", "<"]

    /// A `Name`: a string without `/ % & > <` (pydantic pattern `^[^/%&><]+$`).
    public func name(allowEmpty: Bool = false) -> String? {
        guard let s = string() else { return nil }
        if (!allowEmpty && s.isEmpty) || s.contains(where: { JSONField.bannedNameCharacters.contains($0) }) {
            let pattern = allowEmpty ? "^[^/%&><]*$" : "^[^/%&><]+$"
            fail("string_pattern_mismatch", "String should match pattern '\(pattern)'", ctx: .object([("pattern", .string(pattern))]))
            return nil
        }
        return s
    }

    /// Key-value labels: an object whose values are strings, numbers or booleans; null means `{}`.
    public func labels() -> JSONValue? {
        guard let value else { return nil }
        if value == .null { return .emptyObject }
        guard case .object(let pairs) = value else {
            fail("dict_type", "Input should be a valid dictionary")
            return nil
        }
        var ok = true
        for (k, v) in pairs {
            switch v {
            case .string, .number, .bool: continue
            default:
                ok = false
                context.add(ValidationIssue(type: "string_type", loc: loc + [.key(k), .key("str")], msg: "Input should be a valid string", input: v))
            }
        }
        return ok ? value : nil
    }

    /// A list of strings where null is not allowed but absent means the default.
    public func tags() -> [String]? { strings() }
}
