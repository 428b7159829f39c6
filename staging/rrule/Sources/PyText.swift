/// What Python's `str` and `int()` do, for the characters that matter to dateutil's parsers.
/// Text is a sequence of Unicode scalars, as a Python `str` is.

typealias Scalars = [Unicode.Scalar]

/// A Python exception the reference raises: its type name and `str()`.
struct PyError: Error, Equatable {
    var type: String
    var message: String

    static func value(_ message: String) -> PyError { PyError(type: "ValueError", message: message) }
    static func index(_ message: String = "list index out of range") -> PyError { PyError(type: "IndexError", message: message) }
}

enum PyText {
    /// `str.isspace()` (what `str.split()` and `str.strip()` use), Python 3.11.
    static let whitespace: Set<UInt32> = [
        0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002,
        0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    ]

    static func isSpace(_ c: Unicode.Scalar) -> Bool { whitespace.contains(c.value) }

    /// `str.isalpha()` of one character: a letter (categories Lu, Ll, Lt, Lm, Lo).
    static func isAlpha(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A) }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `str.isdigit()` of one character: a decimal digit or another digit (superscripts...).
    static func isDigit(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return c.value >= 0x30 && c.value <= 0x39 }
        let t = c.properties.numericType
        return t == .decimal || t == .digit
    }

    /// The value of a decimal digit (category Nd, what `int()` and `float()` read), or nil.
    static func decimal(_ c: Unicode.Scalar) -> Int? {
        if c.value < 0x80 { return c.value >= 0x30 && c.value <= 0x39 ? Int(c.value - 0x30) : nil }
        guard c.properties.numericType == .decimal, let v = c.properties.numericValue else { return nil }
        return Int(v)
    }

    /// `str.isdigit()` of a string: nonempty, every character a digit.
    static func isDigits(_ s: some Collection<Unicode.Scalar>) -> Bool { !s.isEmpty && s.allSatisfy(isDigit) }

    /// `str.upper()`: the full (one-to-many) uppercase mapping of each character.
    static func upper(_ s: String) -> Scalars {
        var out: Scalars = []
        out.reserveCapacity(s.unicodeScalars.count)
        for c in s.unicodeScalars {
            if c.value < 0x80 {
                out.append(c.value >= 0x61 && c.value <= 0x7A ? Unicode.Scalar(c.value - 0x20)! : c)
            } else {
                out.append(contentsOf: c.properties.uppercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// `str.lower()` where it matters (matching ASCII words): ASCII letters, and KELVIN SIGN,
    /// which lowercases to `k`.
    static func lowerASCII(_ s: some Collection<Unicode.Scalar>) -> String {
        var out = ""
        for c in s {
            if c.value >= 0x41, c.value <= 0x5A {
                out.unicodeScalars.append(Unicode.Scalar(c.value + 0x20)!)
            } else if c.value == 0x212A {
                out.unicodeScalars.append("k")
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `str.split()`: runs of non-whitespace.
    static func split(_ s: Scalars) -> [Scalars] {
        var out: [Scalars] = []
        var current: Scalars = []
        for c in s {
            if isSpace(c) {
                if !current.isEmpty {
                    out.append(current)
                    current = []
                }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// `str.split(sep)` with a one-character separator (empty pieces kept).
    static func split(_ s: some Collection<Unicode.Scalar>, on sep: Unicode.Scalar, maxSplits: Int = .max) -> [Scalars] {
        var out: [Scalars] = []
        var current: Scalars = []
        for c in s {
            if c == sep, out.count < maxSplits {
                out.append(current)
                current = []
            } else {
                current.append(c)
            }
        }
        out.append(current)
        return out
    }

    static func string(_ s: some Sequence<Unicode.Scalar>) -> String {
        var out = ""
        out.unicodeScalars.append(contentsOf: s)
        return out
    }

    static func scalars(_ s: String) -> Scalars { Array(s.unicodeScalars) }

    static func equals(_ s: some Collection<Unicode.Scalar>, _ ascii: String) -> Bool {
        s.elementsEqual(ascii.unicodeScalars)
    }

    static func hasPrefix(_ s: some Collection<Unicode.Scalar>, _ ascii: String) -> Bool {
        s.starts(with: ascii.unicodeScalars)
    }

    // MARK: - int()

    /// Python ints are unbounded; beyond `huge` a value keeps its sign, stays beyond `huge`, and
    /// keeps its remainder modulo 604,800 (a week in seconds, a multiple of every base the rules
    /// divide by: 7, 12, 24, 60, 1440, 86400). Such a value matches no field, and any interval
    /// that large leaves year 9999 behind in one step, as the exact value would.
    /// Beyond a C long (2**63), a larger base, so that Python's two overflow messages differ.
    static let huge = 1_000_000_000_000_000
    static let modulus = 604_800
    static let hugeBase = 604_800 * 10_000_000_000
    static let hugerBase = 604_800 * 1_000_000_000_000

    /// Whether a value stands for one beyond a C long.
    static func beyondCLong(_ v: Int) -> Bool { abs(v) > hugerBase - modulus }

    /// `int(s)` for a str: optional surrounding whitespace, an optional sign, decimal digits with
    /// single underscores between them. Nil where Python raises ValueError.
    /// `str.strip()`.
    static func stripped(_ s: some Collection<Unicode.Scalar>) -> Scalars {
        let chars = Array(s)
        var lo = 0
        var hi = chars.count
        while lo < hi, isSpace(chars[lo]) { lo += 1 }
        while hi > lo, isSpace(chars[hi - 1]) { hi -= 1 }
        return Array(chars[lo..<hi])
    }

    static func int(_ s: some Collection<Unicode.Scalar>) -> Int? {
        let chars = stripped(s)
        var negative = false
        var i = 0
        if i < chars.count, chars[i] == "+" || chars[i] == "-" {
            negative = chars[i] == "-"
            i += 1
        }
        guard i < chars.count else { return nil }
        var value = 0
        var residue = 0
        var big = false
        var magnitude: UInt64 = 0
        var beyondLong = false
        var lastUnderscore = false
        var sawDigit = false
        while i < chars.count {
            let c = chars[i]
            if c == "_" {
                guard sawDigit, !lastUnderscore else { return nil }
                lastUnderscore = true
            } else {
                guard let d = decimal(c) else { return nil }
                sawDigit = true
                lastUnderscore = false
                residue = (residue * 10 + d) % modulus
                if !big {
                    value = value * 10 + d
                    if value >= huge { big = true }
                }
                if !beyondLong {
                    let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(UInt64(d))
                    magnitude = a
                    if o1 || o2 || a > (negative ? 9_223_372_036_854_775_808 : 9_223_372_036_854_775_807) { beyondLong = true }
                }
            }
            i += 1
        }
        guard sawDigit, !lastUnderscore else { return nil }
        if big {
            let base = beyondLong ? hugerBase : hugeBase
            return negative ? -base + (modulus - residue) % modulus : base + residue
        }
        return negative ? -value : value
    }
}

// MARK: - Integer arithmetic as Python does it

/// Floor division (Python's `//`).
@inline(__always) func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// Python's `%` (the sign of the divisor).
@inline(__always) func floorMod(_ a: Int, _ b: Int) -> Int {
    let r = a % b
    return r != 0 && (r < 0) != (b < 0) ? r + b : r
}

/// Python's `math.gcd` (non-negative; gcd(0, n) = |n|).
func gcd(_ a: Int, _ b: Int) -> Int {
    var (x, y) = (abs(a), abs(b))
    while y != 0 { (x, y) = (y, x % y) }
    return x
}
