import Foundation
import Testing

@testable import WeirModels

/// The parser's limits: time linear in the input whatever its shape, and the reference's answers
/// (Python's `json`) at the edges.
@Suite struct JSONLimitTests {
    /// `{"k0":0,"k1":1,...}` with `count` keys (`distinct` of them different).
    static func object(keys count: Int, distinct: Int? = nil, prefix: String = "k") -> [UInt8] {
        var text = "{"
        text.reserveCapacity(count * 12)
        for i in 0..<count {
            if i > 0 { text += "," }
            text += "\"\(prefix)\(i % (distinct ?? count))\":\(i)"
        }
        return Array((text + "}").utf8)
    }

    /// The best of three parse times of `bytes`, in seconds.
    static func parseSeconds(_ bytes: [UInt8]) throws -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            _ = try JSONParser.parse(bytes)
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return best
    }

    /// Eight times the keys takes about eight times as long: a scan of earlier keys per key (the
    /// old parser) would take 64 times as long. The bound leaves room for a noisy machine.
    @Test(arguments: [
        ("distinct keys", nil as Int?, "k"),
        ("one key repeated", 1, "k"),
        ("long shared prefix", nil, String(repeating: "p", count: 200)),
    ])
    func objectParsingIsLinear(shape: String, distinct: Int?, prefix: String) throws {
        let small = Self.object(keys: 60_000, distinct: distinct, prefix: prefix)
        let large = Self.object(keys: 480_000, distinct: distinct, prefix: prefix)
        let ratio = try Self.parseSeconds(large) / Self.parseSeconds(small)
        #expect(ratio < 20, "\(shape): 8x the keys took \(ratio)x the time")
    }

    @Test func aMillionKeysParseAndKeepTheirOrder() throws {
        let value = try JSONParser.parse(Self.object(keys: 1_000_000))
        guard case .object(let pairs) = value else {
            Issue.record("not an object")
            return
        }
        #expect(pairs.count == 1_000_000 && pairs[0].0 == "k0" && pairs[999_999].0 == "k999999")
    }

    @Test func repeatedKeysKeepTheirFirstPlaceAndLastValue() throws {
        // Python's dict: as many keys as it takes to switch from scanning to hashing.
        let keys = (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let value = try JSONParser.parse("{\(keys),\"k3\":\"late\",\"k19\":null,\"new\":1}")
        guard case .object(let pairs) = value else {
            Issue.record("not an object")
            return
        }
        #expect(pairs.count == 21)
        #expect(pairs[3] == ("k3", .string("late")) && pairs[19] == ("k19", .null) && pairs[20].0 == "new")
        #expect(
            JSONObjectBuilder.merge([.object([("a", .number("1")), ("b", .number("2"))]), .object([("a", .number("3"))])])
                == .object([("a", .number("3")), ("b", .number("2"))])
        )
    }

    @Test func keysAreComparedByTheirBytesAsPythonDoes() throws {
        // "é" precomposed and decomposed are two keys in Python; Swift's String equality merges them.
        guard case .object(let pairs) = try JSONParser.parse("{\"\u{E9}\":1,\"e\u{301}\":2}") else {
            Issue.record("not an object")
            return
        }
        #expect(pairs.count == 2)
        let many = (0..<20).map { "\"k\($0)\":0" }.joined(separator: ",")  // past the scan, into the hash
        guard case .object(let hashed) = try JSONParser.parse("{\(many),\"\u{E9}\":1,\"e\u{301}\":2}") else {
            Issue.record("not an object")
            return
        }
        #expect(hashed.count == 22)
    }

    @Test(arguments: [
        (#"{"a": "unterminated"#, "Unterminated string starting at", 6),
        (#"["\x"]"#, "Invalid \\escape", 2),
        ("[-x]", "Expecting value", 1),
        ("[1, \"a\u{1}\"]", "Invalid control character at", 6),
    ])
    func errorPositionsAreThoseOfPython(text: String, message: String, position: Int) {
        #expect(throws: JSONParseError(message: message, position: position)) { try JSONParser.parse(text) }
    }

    @Test func nestingPastTheLimitIsALimitError() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError(message: "Maximum nesting depth exceeded", position: 512, kind: .limit)) {
            try JSONParser.parse(deep, maxDepth: 512)
        }
        // The deepest nesting the settings allow parses on a test thread's stack.
        let ceiling = String(repeating: "[", count: 1024) + String(repeating: "]", count: 1024)
        #expect(throws: Never.self) { try JSONParser.parse(ceiling) }
        let atLimit = String(repeating: "{\"a\":", count: 511) + "[1]" + String(repeating: "}", count: 511)
        #expect(throws: Never.self) { try JSONParser.parse(atLimit, maxDepth: 512) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[[[1]]]", maxDepth: 2) }
    }

    @Test func longStringsAndEscapesAreLinear() throws {
        let plain = String(repeating: "x", count: 8_000_000)
        #expect(try JSONParser.parse("\"\(plain)\"") == .string(plain))
        let escaped = String(repeating: "\\u00e9\\n", count: 500_000)
        guard case .string(let s) = try JSONParser.parse("\"\(escaped)\"") else {
            Issue.record("not a string")
            return
        }
        #expect(s.unicodeScalars.count == 1_000_000)
    }

    @Test func surrogatesPairOrBecomeReplacementCharacters() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONParser.parse(#""\ud800""#) == .string("\u{FFFD}"))
        #expect(try JSONParser.parse(#""\udc00x""#) == .string("\u{FFFD}x"))
        #expect(try JSONParser.parse(#""\ud800\u0041""#) == .string("\u{FFFD}A"))
    }

    @Test func numbersAtTheEdges() throws {
        // Python reads NaN and the infinities; the reference answers them as null.
        #expect(try JSONParser.parse("[NaN,Infinity,-Infinity]") == .array([.null, .null, .null]))
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[Nan]") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[-Inf]") }
        // Integers of up to 4,300 digits convert in Python; longer ones fail (a 400 in the reference).
        let longest = String(repeating: "9", count: 4300)
        #expect(try JSONParser.parse("-\(longest)") == .number("-\(longest)"))
        #expect(throws: JSONParseError(message: "Exceeds the limit (4300 digits) for integer string conversion", position: 4301, kind: .limit)) {
            try JSONParser.parse(longest + "9")
        }
        // A long fraction or exponent is a float, which Python takes at any length.
        let fraction = "1." + String(repeating: "1", count: 10_000)
        #expect(try JSONParser.parse(fraction) == .number(fraction))
        #expect(try JSONParser.parse("[1e400,-1e-400,1E+2,-0]") == .array([.number("1e400"), .number("-1e-400"), .number("1E+2"), .number("-0")]))
        #expect(throws: JSONParseError.self) { try JSONParser.parse("01") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("1.") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("+1") }
    }
}
