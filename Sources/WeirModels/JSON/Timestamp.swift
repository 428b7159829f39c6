import Foundation

/// A point in time with microsecond precision, stored as microseconds since the Unix epoch (UTC).
/// Integers compare and index the same way in every SQL dialect.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microseconds: Int64

    /// A timestamp from microseconds since the epoch.
    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// The current time.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    /// Seconds since the epoch as a float.
    public var seconds: Double { Double(microseconds) / 1_000_000 }

    /// This timestamp moved by a number of seconds.
    public func adding(seconds: Double) -> Timestamp {
        Timestamp(microseconds: microseconds + Int64((seconds * 1_000_000).rounded()))
    }

    /// Seconds from `other` to `self`.
    public func secondsSince(_ other: Timestamp) -> Double { Double(microseconds - other.microseconds) / 1_000_000 }

    /// Orders timestamps chronologically.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    /// The ISO 8601 text as the reference prints it.
    public var description: String {
        var b: [UInt8] = []
        appendISO8601(to: &b)
        return String(decoding: b, as: UTF8.self)
    }

    /// Python's `str(datetime)` of this UTC time: `2026-11-29 08:00:01.500000+00:00`.
    public var pythonString: String {
        var s = description
        s.removeLast()
        return s.replacingOccurrences(of: "T", with: " ") + "+00:00"
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`.
    public func appendISO8601(to out: inout [UInt8]) {
        var micros = microseconds % 1_000_000
        var secs = microseconds / 1_000_000
        if micros < 0 {
            micros += 1_000_000
            secs -= 1
        }
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = Timestamp.civil(fromDays: days)
        func pad(_ v: Int64, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var x = v < 0 ? -v : v
            var i = width - 1
            while i >= 0 {
                digits[i] = UInt8(ascii: "0") + UInt8(x % 10)
                x /= 10
                i -= 1
            }
            if v < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: digits)
        }
        pad(y, 4)
        out.append(UInt8(ascii: "-"))
        pad(m, 2)
        out.append(UInt8(ascii: "-"))
        pad(d, 2)
        out.append(UInt8(ascii: "T"))
        pad(rem / 3600, 2)
        out.append(UInt8(ascii: ":"))
        pad((rem % 3600) / 60, 2)
        out.append(UInt8(ascii: ":"))
        pad(rem % 60, 2)
        if micros != 0 {
            out.append(UInt8(ascii: "."))
            pad(micros, 6)
        }
        out.append(UInt8(ascii: "Z"))
    }

    /// Days since the epoch for a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date for a number of days since the epoch.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Parses ISO 8601 text as pydantic does: `T` or space separator, optional fraction, `Z` or
    /// `±HH:MM`/`±HHMM`/`±HH` offsets, date-only values (midnight), naive values taken as UTC.
    public init?(iso8601 text: String) {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: month, year: year) else { return nil }
        var secs = Timestamp.days(year: year, month: month, day: day) * 86_400
        var micros: Int64 = 0
        if i == b.count {
            self.init(microseconds: secs * 1_000_000)
            return
        }
        guard i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        guard let hh = digits(2), hh < 24, expect(":"), let mm = digits(2), mm < 60 else { return nil }
        var ss: Int64 = 0
        if expect(":") {
            guard let s = digits(2), s < 60 else { return nil }
            ss = s
            if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                i += 1
                var n = 0
                var frac: Int64 = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if n < 6 { frac = frac * 10 + Int64(b[i] - 48) }
                    n += 1
                    i += 1
                }
                guard n > 0 else { return nil }
                for _ in n..<max(n, 6) { frac *= 10 }
                micros = frac
            }
        }
        secs += hh * 3600 + mm * 60 + ss
        if i < b.count {
            if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                i += 1
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2), oh < 24 else { return nil }
                var om: Int64 = 0
                if expect(":") {
                    guard let m = digits(2), m < 60 else { return nil }
                    om = m
                } else if i < b.count, let m = digits(2) {
                    guard m < 60 else { return nil }
                    om = m
                }
                secs -= sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
        }
        guard i == b.count else { return nil }
        // An offset can carry year 9999 or 1 past Python's range in UTC, which could not be read back.
        let instant = secs * 1_000_000 + micros
        guard instant >= Self.earliest.microseconds, instant <= Self.latest.microseconds else { return nil }
        self.init(microseconds: instant)
    }

    /// Epoch seconds (or milliseconds when large) as pydantic accepts for datetimes; nil outside
    /// Python's years 1 to 9999 (pydantic's "value is not a valid datetime"), and for NaN.
    public init?(epoch value: Double) {
        let seconds = abs(value) > 20_000_000_000 ? value / 1000 : value
        let micros = (seconds * 1_000_000).rounded()
        guard micros >= Double(Self.earliest.microseconds), micros <= Double(Self.latest.microseconds) else { return nil }
        self.init(microseconds: Int64(micros))
    }

    /// The offset written at the end of an ISO 8601 time, in microseconds (0 when none or `Z`).
    public static func utcOffset(ofISO8601 text: String) -> Int64 {
        let b = Array(text.utf8)
        guard let t = b.firstIndex(where: { $0 == UInt8(ascii: "T") || $0 == UInt8(ascii: "t") || $0 == UInt8(ascii: " ") }) else { return 0 }
        guard let signAt = b[(t + 1)...].firstIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) else { return 0 }
        let digits = b[(signAt + 1)...].filter { $0 != UInt8(ascii: ":") }.map { Int64($0) - 48 }
        guard digits.count >= 2, digits.allSatisfy({ (0...9).contains($0) }) else { return 0 }
        let hours = digits[0] * 10 + digits[1]
        let minutes = digits.count >= 4 ? digits[2] * 10 + digits[3] : 0
        let magnitude = (hours * 3600 + minutes * 60) * 1_000_000
        return b[signAt] == UInt8(ascii: "-") ? -magnitude : magnitude
    }

    /// pydantic's answer for this instant at a UTC offset: `2026-01-01T09:00:00-05:00`, the
    /// plain `...Z` form at offset 0.
    public func description(offset: Int64) -> String {
        if offset == 0 { return description }
        var s = Timestamp(microseconds: microseconds + offset).description
        s.removeLast()
        return s + Self.offsetSuffix(offset)
    }

    /// `+HH:MM` or `-HH:MM`.
    public static func offsetSuffix(_ offset: Int64) -> String {
        let minutes = abs(offset) / 60_000_000
        let h = minutes / 60
        let m = minutes % 60
        return (offset < 0 ? "-" : "+") + (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }

    /// The first and last instants Python's `datetime` can hold (years 1 and 9999, UTC).
    public static let earliest = Timestamp(microseconds: -62_135_596_800_000_000)
    public static let latest = Timestamp(microseconds: 253_402_300_799_999_999)

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
