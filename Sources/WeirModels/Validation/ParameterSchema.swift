import Foundation

/// Prefect's parameter validation (`prefect.utilities.schema_tools.validate(..., raise_on_error=
/// True)`): the schema is preprocessed as Prefect does (optional typed fields without a default
/// also accept null; tuple `items` become `prefixItems`), validated as jsonschema's Draft 2020-12
/// validator does for the keywords flow parameter schemas use, and the error jsonschema's
/// `best_match` picks is reported in Prefect's words with jsonschema's message (values in Python's
/// `repr`). Not checked, as Prefect's validator has no checker for them installed or they do not
/// occur in parameter schemas: `format`, `pattern`, `patternProperties`, `dependent*`,
/// `unevaluated*`, `if`/`then`/`else`.
public enum ParameterSchema {
    /// A schema whose `$ref`s loop (the reference's 422 "Invalid schema: Unable to validate
    /// schema with circular references.").
    public struct CircularReference: Error {}

    /// nil when `parameters` conform, else Prefect's message: `Validation failed for field 'x'.
    /// Failure reason: 'abc' is not of type 'integer'` (`Validation failed.` at the top level).
    public static func problem(_ parameters: JSONValue, schema: JSONValue, ignoreRequired: Bool = false) throws(CircularReference) -> String? {
        var prepared = preprocess(schema)
        if ignoreRequired { prepared = removingKey("required", from: prepared) }
        var v = Validator(root: prepared)
        let errors = try v.errors(parameters, prepared, depth: 0)
        guard let best = bestMatch(errors) else { return nil }
        var jsonPath = "$"
        for item in best.path {
            switch item {
            case .key(let k): jsonPath += "." + k
            case .index(let i): jsonPath += "[\(i)]"
            }
        }
        let field = pythonRepr(.string(jsonPath.replacingOccurrences(of: "$.", with: "")))
        let head = jsonPath == "$" ? "Validation failed." : "Validation failed for field \(field)."
        return head + " Failure reason: " + best.message
    }

    // MARK: - Preprocessing (`preprocess_schema`)

    static func preprocess(_ schema: JSONValue) -> JSONValue {
        guard case .object(var pairs) = schema else { return schema }
        let required = strings(schema["required"])
        if let i = pairs.firstIndex(where: { $0.0 == "properties" }) { pairs[i].1 = processProperties(pairs[i].1, required: required) }
        if let i = pairs.firstIndex(where: { $0.0 == "definitions" }), case .object(var defs) = pairs[i].1 {
            for j in defs.indices {
                guard case .object(var def) = defs[j].1, let p = def.firstIndex(where: { $0.0 == "properties" }) else { continue }
                def[p].1 = processProperties(def[p].1, required: strings(defs[j].1["required"]))
                defs[j].1 = .object(def)
            }
            pairs[i].1 = .object(defs)
        }
        return .object(pairs)
    }

    static func strings(_ v: JSONValue?) -> [String] {
        guard case .array(let items)? = v else { return [] }
        return items.compactMap { if case .string(let s) = $0 { s } else { nil } }
    }

    static func processProperties(_ properties: JSONValue, required: [String]) -> JSONValue {
        guard case .object(var props) = properties else { return properties }
        for i in props.indices {
            guard case .object(var s) = props[i].1 else { continue }
            // `_fix_null_typing`: an optional typed field without a default also accepts null.
            if !required.contains(props[i].0), let t = s.firstIndex(where: { $0.0 == "type" }), s[t].1 != .string("null"),
                !s.contains(where: { $0.0 == "default" })
            {
                let type = s[t].1
                s.append(("anyOf", .array([.object([("type", type)]), .object([("type", .string("null"))])])))
                s.remove(at: t)
            }
            // `_fix_tuple_items`.
            if let it = s.firstIndex(where: { $0.0 == "items" }), case .array(let list) = s[it].1, !list.isEmpty,
                !s.contains(where: { $0.0 == "prefixItems" })
            {
                s.append(("prefixItems", s[it].1))
                s.remove(at: it)
            }
            if let p = s.firstIndex(where: { $0.0 == "properties" }) {
                s[p].1 = processProperties(s[p].1, required: strings(JSONValue.object(s)["required"]))
            }
            props[i].1 = .object(s)
        }
        return .object(props)
    }

    /// `remove_nested_keys`: the key removed from every object at any depth.
    static func removingKey(_ key: String, from v: JSONValue) -> JSONValue {
        switch v {
        case .object(let pairs): return .object(pairs.filter { $0.0 != key }.map { ($0.0, removingKey(key, from: $0.1)) })
        case .array(let items): return .array(items.map { removingKey(key, from: $0) })
        default: return v
        }
    }

    // MARK: - Errors and best_match

    enum PathItem: Equatable {
        case key(String)
        case index(Int)
    }

    struct Failure {
        var path: [PathItem]
        var keyword: String
        var message: String
        var schema: JSONValue
        var instance: JSONValue
        var context: [Failure] = []
    }

    /// jsonschema's `relevance` key, compared as Python compares the tuples.
    static func isMoreRelevant(_ a: Failure, than b: Failure) -> Bool { compare(a, b) > 0 }

    static func compare(_ a: Failure, _ b: Failure) -> Int {
        if a.path.count != b.path.count { return a.path.count < b.path.count ? 1 : -1 }  // -len(path)
        for (x, y) in zip(a.path, b.path) where x != y {
            switch (x, y) {
            case (.key(let p), .key(let q)):
                return Array(p.unicodeScalars.map(\.value)).lexicographicallyPrecedes(q.unicodeScalars.map(\.value)) ? -1 : 1
            case (.index(let p), .index(let q)): return p < q ? -1 : 1
            case (.index, .key): return -1
            case (.key, .index): return 1
            }
        }
        let weak: Set<String> = ["anyOf", "oneOf"]
        let (wa, wb) = (!weak.contains(a.keyword), !weak.contains(b.keyword))
        if wa != wb { return wa ? 1 : -1 }
        let (ta, tb) = (!matchesType(a), !matchesType(b))
        if ta != tb { return ta ? 1 : -1 }
        return 0
    }

    static func matchesType(_ f: Failure) -> Bool {
        switch f.schema["type"] {
        case .string(let t)?: return isType(f.instance, t)
        case .array(let ts)?: return ts.contains { if case .string(let t) = $0 { isType(f.instance, t) } else { false } }
        default: return false
        }
    }

    /// `best_match`: the most relevant error (the first of equals), then down into the context of
    /// `anyOf`/`oneOf` errors while one nested error is strictly the least relevant.
    static func bestMatch(_ errors: [Failure]) -> Failure? {
        guard var best = errors.first else { return nil }
        for e in errors.dropFirst() where isMoreRelevant(e, than: best) { best = e }
        while !best.context.isEmpty {
            var smallest = best.context[0]
            var second: Failure?
            for e in best.context.dropFirst() {
                if compare(e, smallest) < 0 {
                    second = smallest
                    smallest = e
                } else if second == nil || compare(e, second!) < 0 {
                    second = e
                }
            }
            if let second, compare(smallest, second) == 0 { return best }
            let parent = best.path
            best = smallest
            best.path = parent + best.path
        }
        return best
    }

    // MARK: - Validation

    static func isType(_ v: JSONValue, _ type: String) -> Bool {
        switch (type, v) {
        case ("string", .string), ("boolean", .bool), ("null", .null), ("array", .array), ("object", .object): return true
        case ("number", .number): return true
        case ("integer", .number(let n)):
            if JSONValue.isIntegerLexeme(n) { return true }
            guard let d = Double(n) else { return false }
            return d.isFinite && d.rounded() == d
        default: return false
        }
    }

    /// jsonschema's `equal`: strings and booleans only equal themselves, numbers by value,
    /// containers member by member.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y || Double(x) == Double(y)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(equal)
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y.first(where: { $0.0 == k }).map { equal(v, $0.1) } ?? false }
        default: return a == b
        }
    }

    struct Validator {
        let root: JSONValue

        func resolve(_ ref: String) -> JSONValue? {
            guard ref.hasPrefix("#") else { return nil }
            var node = root
            for part in ref.dropFirst().split(separator: "/") {
                let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                guard let next = node[key] else { return nil }
                node = next
            }
            return node
        }

        mutating func errors(_ instance: JSONValue, _ schema: JSONValue, depth: Int) throws(CircularReference) -> [Failure] {
            if depth > 64 { throw CircularReference() }
            if schema == .bool(false) {
                return [
                    Failure(
                        path: [],
                        keyword: "false",
                        message: "False schema does not allow \(pythonRepr(instance))",
                        schema: schema,
                        instance: instance
                    )
                ]
            }
            guard case .object(let keywords) = schema else { return [] }
            var out: [Failure] = []
            func fail(_ keyword: String, _ message: String) {
                out.append(Failure(path: [], keyword: keyword, message: message, schema: schema, instance: instance))
            }
            func descend(_ value: JSONValue, _ sub: JSONValue, _ item: PathItem?) throws(CircularReference) {
                for var e in try errors(value, sub, depth: depth + 1) {
                    if let item { e.path.insert(item, at: 0) }
                    out.append(e)
                }
            }
            let repr = pythonRepr(instance)
            for (keyword, value) in keywords {
                switch keyword {
                case "$ref":
                    if case .string(let ref) = value, let target = resolve(ref) { try descend(instance, target, nil) }
                case "type":
                    let types: [String]
                    switch value {
                    case .string(let t): types = [t]
                    case .array(let ts): types = ts.compactMap { if case .string(let t) = $0 { t } else { nil } }
                    default: types = []
                    }
                    if !types.contains(where: { isType(instance, $0) }) {
                        fail("type", "\(repr) is not of type \(types.map { pythonRepr(.string($0)) }.joined(separator: ", "))")
                    }
                case "enum":
                    if case .array(let options) = value, !options.contains(where: { equal($0, instance) }) {
                        fail("enum", "\(repr) is not one of \(pythonRepr(value))")
                    }
                case "const":
                    if !equal(value, instance) { fail("const", "\(pythonRepr(value)) was expected") }
                case "properties":
                    guard case .object(let props) = value, case .object(let given) = instance else { continue }
                    for (name, sub) in props {
                        if let v = given.first(where: { $0.0 == name })?.1 { try descend(v, sub, .key(name)) }
                    }
                case "required":
                    guard case .object(let given) = instance, case .array(let names) = value else { continue }
                    for case .string(let name) in names where !given.contains(where: { $0.0 == name }) {
                        fail("required", "\(pythonRepr(.string(name))) is a required property")
                    }
                case "additionalProperties":
                    guard case .object(let given) = instance else { continue }
                    var declared = Set<String>()
                    if case .object(let props)? = schema["properties"] { declared = Set(props.map { $0.0 }) }
                    let extras = given.filter { !declared.contains($0.0) }
                    if case .object = value {
                        for (k, v) in extras { try descend(v, value, .key(k)) }
                    } else if value == .bool(false), !extras.isEmpty {
                        let names = extras.map(\.0).sorted().map { pythonRepr(.string($0)) }
                        fail(
                            "additionalProperties",
                            "Additional properties are not allowed (\(names.joined(separator: ", ")) \(names.count == 1 ? "was" : "were") unexpected)"
                        )
                    }
                case "prefixItems":
                    guard case .array(let items) = instance, case .array(let subs) = value else { continue }
                    for (i, (item, sub)) in zip(items, subs).enumerated() { try descend(item, sub, .index(i)) }
                case "items":
                    guard case .array(let items) = instance else { continue }
                    let prefix = schema["prefixItems"].flatMap { if case .array(let p) = $0 { p.count } else { nil } } ?? 0
                    if value == .bool(false), items.count > prefix {
                        fail(
                            "items",
                            "Expected at most \(prefix) item\(prefix == 1 ? "" : "s") but found \(items.count - prefix) extra: \(pythonRepr(.array(Array(items[prefix...]))))"
                        )
                    } else {
                        for (i, item) in items.enumerated() where i >= prefix { try descend(item, value, .index(i)) }
                    }
                case "allOf":
                    guard case .array(let subs) = value else { continue }
                    for sub in subs { try descend(instance, sub, nil) }
                case "anyOf", "oneOf":
                    guard case .array(let subs) = value else { continue }
                    var context: [Failure] = []
                    var valid = 0
                    for sub in subs {
                        let e = try errors(instance, sub, depth: depth + 1)
                        if e.isEmpty { valid += 1 } else { context += e }
                        if keyword == "anyOf", valid > 0 { break }
                    }
                    if valid == 0 {
                        out.append(
                            Failure(
                                path: [],
                                keyword: keyword,
                                message: "\(repr) is not valid under any of the given schemas",
                                schema: schema,
                                instance: instance,
                                context: context
                            )
                        )
                    } else if keyword == "oneOf", valid > 1 {
                        fail("oneOf", "\(repr) is valid under each of \(pythonRepr(value))")
                    }
                case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                    guard case .number(let n) = instance, let x = Double(n), case .number(let b) = value, let bound = Double(b) else { continue }
                    let bad: Bool
                    let words: String
                    switch keyword {
                    case "minimum": (bad, words) = (x < bound, "is less than the minimum of")
                    case "maximum": (bad, words) = (x > bound, "is greater than the maximum of")
                    case "exclusiveMinimum": (bad, words) = (x <= bound, "is less than or equal to the minimum of")
                    default: (bad, words) = (x >= bound, "is greater than or equal to the maximum of")
                    }
                    if bad { fail(keyword, "\(repr) \(words) \(pythonRepr(value))") }
                case "minLength", "maxLength":
                    guard case .string(let s) = instance, case .number(let b) = value, let bound = Int(b) else { continue }
                    let count = s.unicodeScalars.count
                    if keyword == "minLength", count < bound { fail(keyword, "\(repr) \(bound == 1 ? "should be non-empty" : "is too short")") }
                    if keyword == "maxLength", count > bound { fail(keyword, "\(repr) \(bound == 0 ? "is expected to be empty" : "is too long")") }
                case "minItems", "maxItems":
                    guard case .array(let items) = instance, case .number(let b) = value, let bound = Int(b) else { continue }
                    if keyword == "minItems", items.count < bound { fail(keyword, "\(repr) \(bound == 1 ? "should be non-empty" : "is too short")") }
                    if keyword == "maxItems", items.count > bound {
                        fail(keyword, "\(repr) \(bound == 0 ? "is expected to be empty" : "is too long")")
                    }
                case "uniqueItems":
                    guard value == .bool(true), case .array(let items) = instance else { continue }
                    var unique = true
                    outer: for i in items.indices {
                        for j in items.indices where j > i && equal(items[i], items[j]) {
                            unique = false
                            break outer
                        }
                    }
                    if !unique { fail(keyword, "\(repr) has non-unique elements") }
                default: continue
                }
            }
            return out
        }
    }

    // MARK: - Python's repr

    /// `repr()` of the Python value a JSON value loads as.
    public static func pythonRepr(_ v: JSONValue) -> String {
        switch v {
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .number(let n):
            if JSONValue.isIntegerLexeme(n) { return n == "-0" ? "0" : n }
            return Double(n).map(JSONWriter.pythonFloat) ?? n
        case .string(let s): return pythonStringRepr(s)
        case .array(let items): return "[" + items.map(pythonRepr).joined(separator: ", ") + "]"
        case .object(let pairs): return "{" + pairs.map { pythonStringRepr($0.0) + ": " + pythonRepr($0.1) }.joined(separator: ", ") + "}"
        }
    }

    static func pythonStringRepr(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(c) == quote {
                    out += "\\" + String(quote)
                } else if c.value < 0x20 || c.value == 0x7F {
                    out += String(format: "\\x%02x", c.value)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out.append(quote)
        return out
    }
}
