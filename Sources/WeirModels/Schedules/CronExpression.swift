/// A port of the cron parser and forward iterator that prefect==3.9.1 vendors
/// (`prefect/_vendor/croniter/croniter.py`), restricted to what `CronSchedule` uses: `is_valid` /
/// `expand` with no `hash_id` and seconds last, and `get_next` from a naive (time-zone-less) start,
/// where croniter does no daylight saving adjustment of its own.
///
/// Text is handled as Python handles `str`: a sequence of Unicode scalars, split on Python's
/// whitespace (`str.split()`), digits being Python's `\d` (any Unicode decimal digit, which `int()`
/// reads). Every step is a single forward scan of a token: no regular expressions.

typealias Scalars = [Unicode.Scalar]

/// Field positions, as croniter numbers them (seconds are the 6th field, year the 7th).
enum CronFieldIndex {
    static let minute = 0, hour = 1, day = 2, month = 3, dow = 4, second = 5, year = 6
}

/// One expanded field. `star` is croniter's `"*"` entry (any value; it sorts first, so a field
/// holding it is treated as unrestricted); `values` the allowed numbers in order; `last` the
/// day-of-month `L` entry.
struct CronField: Sendable, Equatable {
    var star: Bool
    var values: [Int]
    var last: Bool

    static let any = CronField(star: true, values: [], last: false)
    var size: Int { values.count + (star ? 1 : 0) + (last ? 1 : 0) }
}

/// An nth weekday of the month: `#1`...`#5`, or `L` (the last).
enum Nth: Hashable, Sendable {
    case nth(Int)
    case last
}

struct ExpandFailure: Error {}

/// An expanded cron expression: croniter's `expanded` and `nth_weekday_of_month`.
struct CronExpression: Sendable, Equatable {
    var fields: [CronField]
    var nthWeekdays: [Int: Set<Nth>]
    /// Whether a field used croniter's random `R` form (then every expansion draws anew).
    var isRandom: Bool

    static let ranges: [(Int, Int)] = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6), (0, 59), (1970, 2099)]
    static let lenMeansAll = [60, 24, 31, 12, 7, 60, 130]
    static let aliases: [String: String] = [
        "@midnight": "0 0 * * *", "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0",
        "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    // MARK: - Expansion (croniter._expand)

    /// croniter's `expand(expr_format)`: throws where `is_valid` answers False.
    static func expand<R: RandomNumberGenerator>(_ text: String, using random: inout R) throws(ExpandFailure) -> CronExpression {
        var efl = text.unicodeScalars.map(PyText.lower)
        if let alias = aliases[String(String.UnicodeScalarView(efl))] { efl = Array(alias.unicodeScalars) }
        let expressions = PyText.split(efl)
        guard (5...7).contains(expressions.count) else { throw ExpandFailure() }
        let count = expressions.count
        var fields: [CronField] = []
        var nth: [Int: Set<Nth>] = [:]
        var isRandom = false
        for (index, token) in expressions.enumerated() {
            var expr = try hashExpand(index, token, isRandom: &isRandom, using: &random)
            if expr.contains("?") {
                guard expr == ["?"], index == CronFieldIndex.day || index == CronFieldIndex.dow else { throw ExpandFailure() }
                expr = ["*"]
            }
            var field = CronField(star: false, values: [], last: false)
            var values = Set<Int>()
            for item in expr.split(separator: ",", omittingEmptySubsequences: false) {
                try expandItem(index, Array(item), count: count, values: &values, field: &field, nth: &nth)
            }
            field.values = values.sorted()
            if field.size == lenMeansAll[index] {
                // A full day (or weekday) list stays a list when the other day field has no `*`
                // in its text, so that day_or still combines the two.
                let keep =
                    (index == CronFieldIndex.day && !expressions[CronFieldIndex.dow].contains("*"))
                    || (index == CronFieldIndex.dow && !expressions[CronFieldIndex.day].contains("*"))
                if !keep { field = .any }
            }
            fields.append(field)
        }
        if !nth.isEmpty {
            // croniter refuses mixing plain weekdays with nth ones (unless the list is all seven).
            let dow = fields[CronFieldIndex.dow]
            if !Set(dow.values).subtracting(nth.keys).isEmpty, dow.size != 7 { throw ExpandFailure() }
        }
        return CronExpression(fields: fields, nthWeekdays: nth, isRandom: isRandom)
    }

    /// croniter's `HashExpander`: `H` forms need a hash id, which Prefect never gives (so they are
    /// invalid); `R` forms draw a random value as croniter does (`random.randint(0, 2**32-1)`,
    /// shifted right by the field index, modulo the span).
    static func hashExpand<R: RandomNumberGenerator>(
        _ index: Int,
        _ token: Scalars,
        isRandom: inout Bool,
        using random: inout R
    ) throws(ExpandFailure) -> Scalars {
        // ^(h|r)(\((\d+)-(\d+)\))?(\/(\d+))?$
        guard let kind = token.first, kind == "h" || kind == "r" else { return token }
        var i = 1
        func digits() -> Int? {
            let from = i
            while i < token.count, PyText.digit(token[i]) != nil { i += 1 }
            return i > from ? PyText.int(token[from..<i]) : nil
        }
        var begin: Int?
        var end: Int?
        var divisor: Int?
        if i < token.count, token[i] == "(" {
            i += 1
            guard let b = digits(), i < token.count, token[i] == "-" else { return token }
            i += 1
            guard let e = digits(), i < token.count, token[i] == ")" else { return token }
            i += 1
            begin = b
            end = e
        }
        if i < token.count, token[i] == "/" {
            i += 1
            guard let d = digits() else { return token }
            divisor = d
        }
        guard i == token.count else { return token }
        guard kind == "r" else { throw ExpandFailure() }  // "Hashed definitions must include hash_id"
        isRandom = true
        let (low, high) = ranges[index]
        func draw(_ b: Int, _ e: Int) -> Int {
            let crc = Int(UInt32.random(in: 0...UInt32.max, using: &random))
            return ((crc >> index) % (e - b + 1)) + b
        }
        if let begin, let end, begin >= end { throw ExpandFailure() }
        let text: String
        if let begin, let end, let divisor {
            guard divisor != 0 else { throw ExpandFailure() }
            text = "\(draw(begin, divisor - 1 + begin))-\(end)/\(divisor)"
        } else if let begin, let end {
            text = "\(draw(begin, end))"
        } else if let divisor {
            guard divisor != 0 else { throw ExpandFailure() }
            text = "\(draw(low, divisor - 1 + low))-\(high)/\(divisor)"
        } else {
            text = "\(draw(low, high))"
        }
        return Array(text.unicodeScalars)
    }

    /// croniter's `value_alias`: weekday 7 is Sunday only with 5 fields; day 0 is day 1 only with
    /// 6 fields; month 0 is never month 1.
    static func alias(_ value: Int, _ index: Int, count: Int) -> Int {
        if index == CronFieldIndex.dow, value == 7, count == 5 { return 0 }
        if index == CronFieldIndex.day, value == 0, count == 6 { return 1 }
        return value
    }

    enum Alpha {
        case value(Int)
        case last
    }

    /// croniter's `_alphaconv`: `l` in the day field, month names, weekday names.
    static func alpha(_ index: Int, _ token: some Collection<Unicode.Scalar>) -> Alpha? {
        let s = String(String.UnicodeScalarView(token))
        switch index {
        case CronFieldIndex.day: return s == "l" ? .last : nil
        case CronFieldIndex.month: return months.firstIndex(of: s).map { .value($0 + 1) }
        case CronFieldIndex.dow: return weekdays.firstIndex(of: s).map { .value($0) }
        default: return nil
        }
    }

    /// `he` of croniter's `special_dow_re` that can lead to a valid field: digits, a weekday
    /// name, or a range of two weekday names (anything else either fails the pattern or fails
    /// later as an unknown name).
    static func isNthHead(_ he: ArraySlice<Unicode.Scalar>) -> Bool {
        if !he.isEmpty, he.allSatisfy({ PyText.digit($0) != nil }) { return true }
        let s = String(String.UnicodeScalarView(he))
        if weekdays.contains(s) { return true }
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { weekdays.contains(String($0)) }
    }

    /// `^([^-]+)-([^-/]+)(/(\d+))?$`: low, high and the optional step.
    static func stepSearch(_ t: Scalars) -> (low: ArraySlice<Unicode.Scalar>, high: ArraySlice<Unicode.Scalar>, step: ArraySlice<Unicode.Scalar>?)? {
        guard let dash = t.firstIndex(of: "-"), dash > 0 else { return nil }
        var j = dash + 1
        while j < t.count, t[j] != "-", t[j] != "/" { j += 1 }
        guard j > dash + 1 else { return nil }
        if j == t.count { return (t[..<dash], t[(dash + 1)..<j], nil) }
        guard t[j] == "/", j + 1 < t.count, t[(j + 1)...].allSatisfy({ PyText.digit($0) != nil }) else { return nil }
        return (t[..<dash], t[(dash + 1)..<j], t[(j + 1)...])
    }

    /// One comma-separated item of a field (croniter's loop over `e_list`).
    static func expandItem(
        _ index: Int,
        _ item: Scalars,
        count: Int,
        values: inout Set<Int>,
        field: inout CronField,
        nth: inout [Int: Set<Nth>]
    ) throws(ExpandFailure) {
        let (low, high) = ranges[index]
        var e = item
        var itemNth: Nth?
        if index == CronFieldIndex.dow {
            if let hash = e.firstIndex(of: "#") {
                // `<he>#<n>`: the item must match special_dow_re, n in 1...5.
                let he = e[..<hash]
                let tail = e[(hash + 1)...]
                guard isNthHead(he), !tail.isEmpty, tail.allSatisfy({ PyText.digit($0) != nil }),
                    let n = PyText.int(tail), (1...5).contains(n)
                else { throw ExpandFailure() }
                e = Array(he)
                itemNth = .nth(n)
            } else if e.count >= 2, e[0] == "l", e.dropFirst().allSatisfy({ PyText.digit($0) != nil }) {
                e = Array(e.dropFirst())
                itemNth = .last
            }
        }

        func single(_ value: Int) throws(ExpandFailure) {
            let v = alias(value, index, count: count)
            guard v >= low, v <= high else { throw ExpandFailure() }
            values.insert(v)
            if index == CronFieldIndex.dow, let itemNth { nth[v, default: []].insert(itemNth) }
        }

        // "*/n" reads "low-high/n"; failing that, "a/n" reads "a-high/n" (split at the last '/').
        var t = e
        if e.count >= 3, e[0] == "*", e[1] == "/" { t = Array("\(low)-\(high)".unicodeScalars) + e[1...] }
        var match = stepSearch(t)
        if match == nil {
            t = e
            if e.count >= 3, let slash = (1..<(e.count - 1)).reversed().first(where: { e[$0] == "/" }) {
                t = Array(e[..<slash]) + Array("-\(high)".unicodeScalars) + Array(e[slash...])
                match = stepSearch(t)
            }
        }
        if let match {
            // Each bound: digits or a name (`l` only as the high end of a day range, meaning 31).
            func bound(_ s: ArraySlice<Unicode.Scalar>, isHigh: Bool) throws(ExpandFailure) -> Int {
                if isHigh, index == CronFieldIndex.day, s.elementsEqual(["l"]) { return 31 }
                if let v = PyText.int(s) { return alias(v, index, count: count) }
                guard case .value(let v)? = alpha(index, s) else { throw ExpandFailure() }
                return alias(v, index, count: count)
            }
            let lo = try bound(match.low, isHigh: false)
            let hi = try bound(match.high, isHigh: true)
            let step = match.step.flatMap { PyText.int($0) } ?? 1
            guard step > 0, max(lo, hi) <= max(low, high) else { throw ExpandFailure() }
            func range(_ from: Int, _ through: Int) -> [Int] {
                var out: [Int] = []
                var v = from
                while v <= through {
                    out.append(v)
                    if step > through - v { break }
                    v += step
                }
                return out
            }
            var rng: [Int]
            if lo > hi {
                // A range that wraps (Sat-Sun, Apr-Jan): lo...max, then min... respecting the step.
                rng = range(lo, high)
                var skip = 0
                if let lastValue = rng.last {
                    guard lastValue >= low else { throw ExpandFailure() }  // list.index raises
                    let alreadySkipped = high - lastValue
                    if lastValue - low + step > high - low + 1, alreadySkipped < step { skip = step - alreadySkipped }
                }
                rng += range(low + skip, hi)
            } else if lo == hi {
                rng = range(low, high)  // "5-5" means the whole field
            } else {
                rng = range(lo, hi)
            }
            for v in rng { try single(v) }
            return
        }
        if t.first == "-" { throw ExpandFailure() }
        if t == ["*"] {
            field.star = true
        } else if let v = PyText.int(t) {
            try single(v)
        } else {
            switch alpha(index, t) {
            case .value(let v)?: try single(v)
            case .last?: field.last = true
            case nil: throw ExpandFailure()
            }
        }
    }
}

// MARK: - Iteration (croniter._get_next / _calc, forward, naive)

/// croniter iterating forward over wall times (naive datetimes, counted as UTC).
struct CronIterator {
    let expression: CronExpression
    let dayOr: Bool
    /// croniter's `cur`, in microseconds.
    var current: Int64

    /// croniter's `max_years_between_matches` default.
    static let maxYears = 50

    /// The next matching wall time in microseconds (whole seconds), or nil where croniter raises
    /// (`CroniterBadDateError`: nothing within 50 years, or past the year limit; or Python's
    /// datetime overflowing past year 9999).
    mutating func next() -> Int64? {
        let fields = expression.fields
        let result: Int64
        if !fields[CronFieldIndex.day].star, !fields[CronFieldIndex.dow].star, dayOr {
            // The union of the day-of-month and the day-of-week schedule. Both must succeed.
            guard let t1 = calc(dayAny: false, dowAny: true), let t2 = calc(dayAny: true, dowAny: false) else { return nil }
            result = min(t1, t2)
        } else {
            guard let t = calc(dayAny: false, dowAny: false) else { return nil }
            result = t
        }
        current = result
        return result
    }

    /// The nearest diff forward (croniter's `_get_next_nearest_diff`); `range` nil: no wrap.
    @inline(__always)
    static func nearest(_ x: Int, _ field: CronField, _ range: Int?) -> Int? {
        for v in field.values where v >= x { return v - x }
        if field.last, let range, range >= x { return range - x }
        guard let range else { return nil }
        return (field.values.first ?? range) - x + range
    }

    func calc(dayAny: Bool, dowAny: Bool) -> Int64? {
        let fields = expression.fields
        let count = fields.count
        let dayField = dayAny ? CronField.any : fields[CronFieldIndex.day]
        let dowField = dowAny ? CronField.any : fields[CronFieldIndex.dow]
        let nth = expression.nthWeekdays
        var d = Civil(seconds: floorDiv(current, 1_000_000) + (count > 5 ? 1 : 60))
        guard d.valid else { return nil }
        let currentYear = d.year
        var year = d.year
        var month = d.month

        /// A field moved the time on: croniter's `month, year = dst.month, dst.year`.
        func changed(_ new: Civil) {
            d = new
            year = d.year
            month = d.month
        }
        outer: while abs(year - currentYear) <= Self.maxYears {
            // year (7 fields): no later year listed -> no match
            if count == 7, !fields[CronFieldIndex.year].star {
                guard let diff = Self.nearest(d.year, fields[CronFieldIndex.year], nil) else { return nil }
                if diff != 0 {
                    changed(Civil(year: d.year + diff, month: 1, day: 1))
                    guard d.valid else { return nil }
                    continue outer
                }
            }
            // month
            if !fields[CronFieldIndex.month].star, let diff = Self.nearest(d.month, fields[CronFieldIndex.month], 12), diff != 0 {
                var m = d.month + diff
                var y = d.year
                if m > 12 {
                    y += 1
                    m -= 12
                }
                changed(Civil(year: y, month: m, day: 1))
                guard d.valid else { return nil }
                continue outer
            }
            // day of month
            if !dayField.star {
                let days = Civil.daysInMonth(year, month)
                if !(dayField.last && days == d.day), let diff = Self.nearest(d.day, dayField, days), diff != 0 {
                    changed(d.date.adding(days: diff))
                    guard d.valid else { return nil }
                    continue outer
                }
            }
            // day of week
            if !nth.isEmpty {
                // The nth weekdays apply even when the weekday field was set aside for day_or.
                var best: Int?
                for (weekday, ns) in nth {
                    let first = 1 + floorMod(weekday - Civil.weekday(d.year, d.month, 1), 7)
                    let dim = Civil.daysInMonth(d.year, d.month)
                    let occurrences = (dim - first) / 7 + 1
                    for n in ns {
                        let candidate: Int
                        switch n {
                        case .last: candidate = first + 7 * (occurrences - 1)
                        case .nth(let k):
                            if occurrences < k { continue }
                            candidate = first + 7 * (k - 1)
                        }
                        if d.day <= candidate { best = min(best ?? candidate, candidate) }
                    }
                }
                if let best {
                    if best != d.day {
                        changed(d.date.adding(days: best - d.day))
                        guard d.valid else { return nil }
                        continue outer
                    }
                } else {
                    changed(d.date.adding(days: Civil.daysInMonth(year, month) - d.day + 1))
                    guard d.valid else { return nil }
                    continue outer
                }
            } else if !dowField.star, let diff = Self.nearest(d.weekday, dowField, 7), diff != 0 {
                changed(d.date.adding(days: diff))
                guard d.valid else { return nil }
                continue outer
            }
            // hour
            if !fields[CronFieldIndex.hour].star, let diff = Self.nearest(d.hour, fields[CronFieldIndex.hour], 24), diff != 0 {
                changed(Civil(seconds: Civil(year: d.year, month: d.month, day: d.day, hour: d.hour).seconds + Int64(diff) * 3600))
                guard d.valid else { return nil }
                continue outer
            }
            // minute
            if !fields[CronFieldIndex.minute].star, let diff = Self.nearest(d.minute, fields[CronFieldIndex.minute], 60), diff != 0 {
                var base = d
                base.second = 0
                changed(Civil(seconds: base.seconds + Int64(diff) * 60))
                guard d.valid else { return nil }
                continue outer
            }
            // second
            if count > 5 {
                if !fields[CronFieldIndex.second].star, let diff = Self.nearest(d.second, fields[CronFieldIndex.second], 60), diff != 0 {
                    changed(Civil(seconds: d.seconds + Int64(diff)))
                    guard d.valid else { return nil }
                    continue outer
                }
            } else {
                d.second = 0
            }
            return d.seconds * 1_000_000
        }
        return nil
    }
}

// MARK: - Civil time

/// A proleptic Gregorian date and time of day (what Python's naive `datetime` holds, to the second).
struct Civil: Equatable {
    var year: Int, month: Int, day: Int
    var hour = 0, minute = 0, second = 0

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    init(seconds: Int64) {
        let days = floorDiv(seconds, 86_400)
        let rest = Int(seconds - days * 86_400)
        (year, month, day) = civilFromDays(days)
        hour = rest / 3600
        minute = rest / 60 % 60
        second = rest % 60
    }

    /// Within Python's datetime range (years 1...9999).
    var valid: Bool { year >= 1 && year <= 9999 }
    var seconds: Int64 { daysFromCivil(year, month, day) * 86_400 + Int64(hour * 3600 + minute * 60 + second) }
    /// The date at midnight.
    var date: Civil { Civil(year: year, month: month, day: day) }
    /// Sunday 0 ... Saturday 6 (Python's `isoweekday() % 7`).
    var weekday: Int { Self.weekday(year, month, day) }

    func adding(days: Int) -> Civil { Civil(seconds: seconds + Int64(days) * 86_400) }

    static func weekday(_ y: Int, _ m: Int, _ d: Int) -> Int { Int(floorMod(daysFromCivil(y, m, d) + 4, 7)) }
    static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }
    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        m == 2 ? (isLeap(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
    let y = Int64(month <= 2 ? year - 1 : year)
    let era = floorDiv(y, 400)
    let yoe = y - era * 400
    let mp = Int64((month + 9) % 12)
    let doy = (153 * mp + 2) / 5 + Int64(day) - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a count of days since 1970-01-01 (`civil_from_days`).
func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = floorDiv(z, 146_097)
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = Int(doy - (153 * mp + 2) / 5 + 1)
    let month = Int(mp < 10 ? mp + 3 : mp - 9)
    let year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
    return (year, month, day)
}

@inline(__always) func floorMod<T: BinaryInteger>(_ a: T, _ b: T) -> T {
    let r = a % b
    return r != 0 && (r < 0) != (b < 0) ? r + b : r
}

// MARK: - Python text semantics

/// What Python's `str` methods and `re`'s `\d` do, for the characters that matter here.
enum PyText {
    /// `str.isspace()` (what `str.split()` splits on), Python 3.11.
    static let whitespace: Set<UInt32> = [
        0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002,
        0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    ]

    /// The zero of every run of ten Unicode decimal digits (`\d`, category Nd) in Python 3.11's
    /// Unicode 14 database; `int()` reads any of them.
    static let digitZeros: [UInt32] = [
        0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6,
        0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0,
        0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30,
        0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0,
        0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC,
        0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
    ]

    static func isSpace(_ c: Unicode.Scalar) -> Bool { whitespace.contains(c.value) }

    /// The value of a decimal digit, or nil.
    static func digit(_ c: Unicode.Scalar) -> Int? {
        let v = c.value
        if v < 0x80 { return v >= 0x30 && v <= 0x39 ? Int(v - 0x30) : nil }
        var lo = 0
        var hi = digitZeros.count - 1
        while lo < hi {  // the last zero <= v
            let mid = (lo + hi + 1) / 2
            if digitZeros[mid] <= v { lo = mid } else { hi = mid - 1 }
        }
        let zero = digitZeros[lo]
        return v >= zero && v - zero < 10 ? Int(v - zero) : nil
    }

    /// Numbers beyond every field's range saturate here (Python's are unbounded; any value this
    /// large is out of range, and any step this large gives one value, either way).
    static let cap = 1 << 48

    /// `int()` of a nonempty run of decimal digits, or nil.
    static func int(_ s: some Collection<Unicode.Scalar>) -> Int? {
        guard !s.isEmpty else { return nil }
        var value = 0
        for c in s {
            guard let d = digit(c) else { return nil }
            value = min(value * 10 + d, cap)
        }
        return value
    }

    /// `str.lower()` where it matters: ASCII letters, and KELVIN SIGN, which lowercases to `k`.
    /// (No other character lowercases to an ASCII letter that could complete a name; U+0130
    /// lowercases to `i` plus a combining dot, which no name can contain.)
    static func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
        if c.value >= 0x41, c.value <= 0x5A { return Unicode.Scalar(c.value + 0x20)! }
        if c.value == 0x212A { return "k" }
        return c
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
}
