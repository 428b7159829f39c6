/// dateutil's `parser.parse(timestr)` as `rrulestr` calls it for DTSTART, UNTIL, RDATE and EXDATE
/// values: no `fuzzy`, no `tzinfos`, `dayfirst` and `yearfirst` off, the default date today at
/// midnight. A port of `_timelex`, `parser._parse`, `_parse_numeric_token`, `_ymd` and
/// `_build_naive` (Python 3.11, dateutil 2.9.0): the same tokens, the same guesses, the same
/// messages. The text it sees is already uppercased and holds no whitespace.
///
/// Where the time zone of the result matters (it decides whether DTSTART and UNTIL agree, and
/// what time `datetime.now(tz)` reads): `Z`, `UTC`, `GMT` and numeric offsets make it aware; other
/// names make it naive (dateutil warns); the machine's own zone names (`time.tzname`) are taken to
/// be those of UTC, as on the reference's servers.
struct ParsedDate: Equatable {
    /// The naive date-time, microseconds.
    var wall: Int
    var zone: DateZone
}

enum DateZone: Equatable {
    case naive
    /// `tzutc()` or `tzlocal()` (which is UTC here).
    case utc
    /// `tzoffset`: seconds east of UTC.
    case offset(Int)
    /// A `TZID` parameter's zone (what `tz.gettz` found).
    case named(String)

    var isAware: Bool { self != .naive }
}

struct DateParser {
    /// "Today", as `datetime.now()` reads it (naive, local = UTC): seconds.
    var now: Int

    /// `parser.parse(timestr)`: the date, or the exception the reference raises (a ValueError
    /// (`ParserError`) or an OverflowError).
    func parse(_ timestr: Scalars) throws(PyError) -> ParsedDate {
        let text = PyText.string(timestr)
        guard var res = parseTokens(timelex(timestr)) else { throw .value("Unknown string format: \(text)") }
        validate(&res)
        if res.isEmpty { throw .value("String does not contain a date: \(text)") }
        let wall: Int
        do {
            wall = try buildNaive(res)
        } catch let e where e.type == "ValueError" {
            throw .value("\(e.message): \(text)")
        }
        let zone = buildZone(res)
        try checkZone(zone)
        return ParsedDate(wall: wall, zone: zone)
    }

    // MARK: - _timelex

    func timelex(_ s: Scalars) -> [Scalars] {
        func isWord(_ c: Unicode.Scalar) -> Bool { PyText.isAlpha(c) }
        func isNum(_ c: Unicode.Scalar) -> Bool { PyText.isDigit(c) }
        var tokens: [Scalars] = []
        var stack: [Scalars] = []  // the pieces of a split token, handed out before reading on
        var i = 0
        var eof = false
        while true {
            if !stack.isEmpty {
                tokens.append(contentsOf: stack)
                stack.removeAll()
            }
            var seenLetters = false
            var token: Scalars?
            var state = 0  // 0 none, 1 'a', 2 '0', 3 'a.', 4 '0.'
            scan: while !eof {
                while i < s.count, s[i] == "\u{0}" { i += 1 }
                guard i < s.count else {
                    eof = true
                    break
                }
                let c = s[i]
                switch state {
                case 0:
                    token = [c]
                    i += 1
                    if isWord(c) {
                        state = 1
                    } else if isNum(c) {
                        state = 2
                    } else {
                        if PyText.isSpace(c) { token = [" "] }
                        break scan
                    }
                case 1:
                    seenLetters = true
                    if isWord(c) {
                        token!.append(c)
                    } else if c == "." {
                        token!.append(c)
                        state = 3
                    } else {
                        break scan  // the character starts the next token
                    }
                    i += 1
                case 2:
                    if isNum(c) {
                        token!.append(c)
                    } else if c == "." || (c == "," && token!.count >= 2) {
                        token!.append(c)
                        state = 4
                    } else {
                        break scan
                    }
                    i += 1
                case 3:
                    seenLetters = true
                    if c == "." || isWord(c) {
                        token!.append(c)
                    } else if isNum(c), token!.last == "." {
                        token!.append(c)
                        state = 4
                    } else {
                        break scan
                    }
                    i += 1
                default:
                    if c == "." || isNum(c) {
                        token!.append(c)
                    } else if isWord(c), token!.last == "." {
                        token!.append(c)
                        state = 3
                    } else {
                        break scan
                    }
                    i += 1
                }
            }
            guard var tok = token else { break }
            if (state == 3 || state == 4)
                && (seenLetters || tok.filter({ $0 == "." }).count > 1 || tok.last == "." || tok.last == ",")
            {
                // re.split("([.,])", token): the pieces and the separators; the first is the token.
                var pieces: [Scalars] = [[]]
                for c in tok {
                    if c == "." || c == "," {
                        pieces.append([c])
                        pieces.append([])
                    } else {
                        pieces[pieces.count - 1].append(c)
                    }
                }
                tok = pieces[0]
                for p in pieces.dropFirst() where !p.isEmpty { stack.append(p) }
            }
            if state == 4, !tok.contains(".") {
                tok = tok.map { $0 == "," ? "." : $0 }
            }
            tokens.append(tok)
        }
        return tokens
    }

    // MARK: - parserinfo

    static let jump: Set<String> = [" ", ".", ",", ";", "-", "/", "'", "at", "on", "and", "ad", "m", "t", "of", "st", "nd", "rd", "th"]
    static let weekdays: [String: Int] = [
        "mon": 0, "monday": 0, "tue": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3, "thursday": 3, "fri": 4, "friday": 4,
        "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
    ]
    static let months: [String: Int] = [
        "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6,
        "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11,
        "november": 11, "dec": 12, "december": 12,
    ]
    static let hms: [String: Int] = [
        "h": 0, "hour": 0, "hours": 0, "m": 1, "minute": 1, "minutes": 1, "s": 2, "second": 2, "seconds": 2,
    ]
    static let ampm: [String: Int] = ["am": 0, "a": 0, "pm": 1, "p": 1]
    static let utcZones: Set<String> = ["utc", "gmt", "z"]

    static func isJump(_ t: Scalars) -> Bool { jump.contains(PyText.lowerASCII(t)) }
    static func weekday(_ t: Scalars) -> Int? { weekdays[PyText.lowerASCII(t)] }
    static func month(_ t: Scalars) -> Int? { months[PyText.lowerASCII(t)] }
    static func hmsIndex(_ t: Scalars) -> Int? { hms[PyText.lowerASCII(t)] }
    static func ampmIndex(_ t: Scalars) -> Int? { ampm[PyText.lowerASCII(t)] }
    static func isUTCZone(_ t: Scalars) -> Bool { utcZones.contains(PyText.lowerASCII(t)) }

    // MARK: - Numbers

    /// A non-negative decimal as dateutil's `Decimal` tokens hold it: the integer part
    /// (saturated at `Int.max`) and the digits after the point.
    struct Dec {
        var int: Int
        var frac: [Int]
        var hasFraction: Bool { frac.contains { $0 != 0 } }
        /// `value > n` for a non-negative integer n.
        func greater(_ n: Int) -> Bool { int > n || (int == n && hasFraction) }
        /// `value < n`.
        func less(_ n: Int) -> Bool { int < n }
        /// `int(60 * (value % 1))`.
        var sixtiethsOfFraction: Int {
            var num = 0
            var den = 1
            for d in frac.prefix(17) {
                num = num * 10 + d
                den *= 10
            }
            return 60 * num / den
        }
    }

    /// `float(token)` succeeds: a run of decimal digits with at most one point, or
    /// `inf`/`infinity`/`nan` (which `Decimal` then refuses as not finite).
    static func isFloat(_ t: Scalars) -> Bool {
        let lower = PyText.lowerASCII(t)
        if lower == "inf" || lower == "infinity" || lower == "nan" { return true }
        return decimal(t) != nil
    }

    /// `Decimal(token)` for the tokens that reach it, finite only (else dateutil's ValueError).
    static func decimal(_ t: Scalars) -> Dec? {
        var int = 0
        var frac: [Int] = []
        var digits = 0
        var point = false
        for c in t {
            if c == "." {
                if point { return nil }
                point = true
            } else if let d = PyText.decimal(c) {
                digits += 1
                if point {
                    frac.append(d)
                } else {
                    let (m, o1) = int.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(d)
                    int = o1 || o2 ? Int.max : a
                }
            } else {
                return nil
            }
        }
        return digits > 0 ? Dec(int: int, frac: frac) : nil
    }

    /// `int(s)` of a str, saturated at `Int.max`; nil where Python raises ValueError.
    static func int(_ s: some Collection<Unicode.Scalar>) -> Int? {
        let chars = PyText.stripped(s)
        var negative = false
        var i = 0
        if i < chars.count, chars[i] == "+" || chars[i] == "-" {
            negative = chars[i] == "-"
            i += 1
        }
        var value = 0
        var sawDigit = false
        var lastUnderscore = false
        while i < chars.count {
            let c = chars[i]
            if c == "_" {
                guard sawDigit, !lastUnderscore else { return nil }
                lastUnderscore = true
            } else {
                guard let d = PyText.decimal(c) else { return nil }
                sawDigit = true
                lastUnderscore = false
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(d)
                value = o1 || o2 ? Int.max : a
            }
            i += 1
        }
        guard sawDigit, !lastUnderscore else { return nil }
        return negative ? -value : value
    }

    // MARK: - _parse

    struct Failure: Error {}

    struct Result {
        var year: Int?, month: Int?, day: Int?, weekday: Int?
        var hour: Int?, minute: Int?, second: Int?, microsecond: Int?
        var tzname: Scalars?, tzoffset: Int?, ampm: Int?
        var centurySpecified = false

        var isEmpty: Bool {
            year == nil && month == nil && day == nil && weekday == nil && hour == nil && minute == nil && second == nil
                && microsecond == nil && tzname == nil && tzoffset == nil && ampm == nil
        }
    }

    /// `_ymd`: the year/month/day candidates and what is known of them.
    struct YMD {
        var values: [Int] = []
        var centurySpecified = false
        var dstridx: Int?, mstridx: Int?, ystridx: Int?

        enum Item {
            case text(Scalars)
            case number(Dec)
            case int(Int)
        }

        mutating func append(_ item: Item, _ label: Character? = nil) throws(Failure) {
            var label = label
            let v: Int
            switch item {
            case .text(let s):
                if PyText.isDigits(s), s.count > 2 {
                    centurySpecified = true
                    guard label == nil || label == "Y" else { throw Failure() }
                    label = "Y"
                }
                guard let i = DateParser.int(s) else { throw Failure() }
                v = i
            case .number(let d):
                if d.greater(100) {
                    centurySpecified = true
                    guard label == nil || label == "Y" else { throw Failure() }
                    label = "Y"
                }
                v = d.int
            case .int(let i):
                if i > 100 {
                    centurySpecified = true
                    guard label == nil || label == "Y" else { throw Failure() }
                    label = "Y"
                }
                v = i
            }
            values.append(v)
            switch label {
            case "M":
                guard mstridx == nil else { throw Failure() }
                mstridx = values.count - 1
            case "D":
                guard dstridx == nil else { throw Failure() }
                dstridx = values.count - 1
            case "Y":
                guard ystridx == nil else { throw Failure() }
                ystridx = values.count - 1
            default: break
            }
        }

        func couldBeDay(_ value: Dec) throws(Failure) -> Bool {
            if dstridx != nil { return false }
            func inRange(_ hi: Int) -> Bool { value.int >= 1 && !value.greater(hi) }
            guard let m = mstridx else { return inRange(31) }
            let month = values[m]
            guard month >= 1, month <= 12 else { throw Failure() }  // monthrange's IllegalMonthError
            guard let y = ystridx else { return inRange(Civil.daysInMonth(2000, month)) }
            return inRange(Civil.daysInMonth(values[y], month))
        }

        func resolve() throws(Failure) -> (Int?, Int?, Int?) {
            let count = values.count
            var strids: [(Character, Int)] = []
            if let y = ystridx { strids.append(("y", y)) }
            if let m = mstridx { strids.append(("m", m)) }
            if let d = dstridx { strids.append(("d", d)) }
            if (count == strids.count && count > 0) || (count == 3 && strids.count == 2) {
                var map = Dictionary(uniqueKeysWithValues: strids)
                if count == 3 && strids.count == 2 {
                    let used = Set(map.values)
                    let missing = (0..<3).filter { !used.contains($0) }
                    let key = (["y", "m", "d"] as [Character]).filter { map[$0] == nil }
                    guard missing.count == 1, key.count == 1 else { throw Failure() }  // assert
                    map[key[0]] = missing[0]
                }
                guard count == map.count else { throw Failure() }
                return (map["y"].map { values[$0] }, map["m"].map { values[$0] }, map["d"].map { values[$0] })
            }
            var year: Int?
            var month: Int?
            var day: Int?
            let v = values
            if count > 3 {
                throw Failure()
            } else if count == 1 || (mstridx != nil && count == 2) {
                let other: Int
                if let m = mstridx {
                    month = v[m]
                    other = v[m == 0 ? count - 1 : m - 1]
                } else {
                    other = v[0]
                }
                if count > 1 || mstridx == nil {
                    if other > 31 { year = other } else { day = other }
                }
            } else if count == 2 {
                if v[0] > 31 {
                    (year, month) = (v[0], v[1])
                } else if v[1] > 31 {
                    (month, year) = (v[0], v[1])
                } else {
                    (month, day) = (v[0], v[1])
                }
            } else if count == 3 {
                if mstridx == 0 {
                    if v[1] > 31 { (month, year, day) = (v[0], v[1], v[2]) } else { (month, day, year) = (v[0], v[1], v[2]) }
                } else if mstridx == 1 {
                    if v[0] > 31 { (year, month, day) = (v[0], v[1], v[2]) } else { (day, month, year) = (v[0], v[1], v[2]) }
                } else if mstridx == 2 {
                    if v[1] > 31 { (day, year, month) = (v[0], v[1], v[2]) } else { (year, day, month) = (v[0], v[1], v[2]) }
                } else {
                    if v[0] > 31 || ystridx == 0 {
                        (year, month, day) = (v[0], v[1], v[2])
                    } else if v[0] > 12 {
                        (day, month, year) = (v[0], v[1], v[2])
                    } else {
                        (month, day, year) = (v[0], v[1], v[2])
                    }
                }
            }
            return (year, month, day)
        }
    }

    func parseTokens(_ tokens: [Scalars]) -> Result? {
        var l = tokens
        var res = Result()
        var ymd = YMD()
        let n = l.count
        var i = 0
        do {
            while i < n {
                if Self.isFloat(l[i]) {
                    i = try parseNumeric(&l, i, &ymd, &res)
                } else if let wd = Self.weekday(l[i]) {
                    res.weekday = wd
                } else if let m = Self.month(l[i]) {
                    try ymd.append(.int(m), "M")
                    if i + 1 < n {
                        if PyText.equals(l[i + 1], "-") || PyText.equals(l[i + 1], "/") {
                            let sep = l[i + 1]
                            guard i + 2 < n else { throw Failure() }
                            try ymd.append(.text(l[i + 2]))
                            if i + 3 < n, l[i + 3] == sep {
                                guard i + 4 < n else { throw Failure() }
                                try ymd.append(.text(l[i + 4]))
                                i += 2
                            }
                            i += 2
                        } else if i + 4 < n, PyText.equals(l[i + 1], " "), PyText.equals(l[i + 3], " "),
                            PyText.lowerASCII(l[i + 2]) == "of"
                        {
                            if PyText.isDigits(l[i + 4]) {
                                guard let value = Self.int(l[i + 4]) else { throw Failure() }
                                let year = convertYear(value, centurySpecified: false)
                                try ymd.append(.text(PyText.scalars(String(year))), "Y")
                            }
                            i += 4
                        }
                    }
                } else if let a = Self.ampmIndex(l[i]) {
                    guard let hour = res.hour else { throw Failure() }  // "No hour specified with AM or PM flag."
                    guard hour >= 0, hour <= 12 else { throw Failure() }  // "Invalid hour specified for 12-hour clock."
                    res.hour = adjustAmpm(hour, a)
                    res.ampm = a
                } else if couldBeTzname(res.hour, res.tzname, res.tzoffset, l[i]) {
                    res.tzname = l[i]
                    res.tzoffset = tzoffset(l[i])
                    if i + 1 < n, PyText.equals(l[i + 1], "+") || PyText.equals(l[i + 1], "-") {
                        l[i + 1] = PyText.equals(l[i + 1], "+") ? ["-"] : ["+"]
                        res.tzoffset = nil
                        if Self.isUTCZone(l[i]) { res.tzname = nil }
                    }
                } else if res.hour != nil, PyText.equals(l[i], "+") || PyText.equals(l[i], "-") {
                    let signal = PyText.equals(l[i], "+") ? 1 : -1
                    guard i + 1 < n else { throw Failure() }
                    let next = l[i + 1]
                    let hourOffset: Int
                    let minOffset: Int
                    if next.count == 4 {
                        guard let h = Self.int(next.prefix(2)), let m = Self.int(next.dropFirst(2)) else { throw Failure() }
                        (hourOffset, minOffset) = (h, m)
                    } else if i + 2 < n, PyText.equals(l[i + 2], ":") {
                        guard let h = Self.int(next), i + 3 < n, let m = Self.int(l[i + 3]) else { throw Failure() }
                        (hourOffset, minOffset) = (h, m)
                        i += 2
                    } else if next.count <= 2 {
                        guard let h = Self.int(next.prefix(2)) else { throw Failure() }
                        (hourOffset, minOffset) = (h, 0)
                    } else {
                        throw Failure()
                    }
                    let (hs, o1) = hourOffset.multipliedReportingOverflow(by: 3600)
                    let (ms, o2) = minOffset.multipliedReportingOverflow(by: 60)
                    let (sum, o3) = hs.addingReportingOverflow(ms)
                    res.tzoffset = o1 || o2 || o3 ? signal * Int.max : signal * sum
                    if i + 5 < n, Self.isJump(l[i + 2]), PyText.equals(l[i + 3], "("), PyText.equals(l[i + 5], ")"),
                        l[i + 4].count >= 3, couldBeTzname(res.hour, res.tzname, nil, l[i + 4])
                    {
                        res.tzname = l[i + 4]
                        i += 4
                    }
                    i += 1
                } else if !Self.isJump(l[i]) {
                    throw Failure()
                }
                i += 1
            }
            let (y, m, d) = try ymd.resolve()
            res.centurySpecified = ymd.centurySpecified
            res.year = y
            res.month = m
            res.day = d
        } catch {
            return nil
        }
        return res
    }

    func adjustAmpm(_ hour: Int, _ ampm: Int) -> Int {
        if hour < 12 && ampm == 1 { return hour + 12 }
        if hour == 12 && ampm == 0 { return 0 }
        return hour
    }

    func couldBeTzname(_ hour: Int?, _ tzname: Scalars?, _ tzoffset: Int?, _ token: Scalars) -> Bool {
        guard hour != nil, tzname == nil, tzoffset == nil, token.count <= 5 else { return false }
        if token.allSatisfy({ $0.value >= 0x41 && $0.value <= 0x5A }) { return true }
        let t = PyText.string(token)
        return t == "UTC" || t == "GMT" || t == "Z" || t == "z"
    }

    /// `parserinfo.tzoffset(name)`: 0 for a UTC name as written in the lower-case table (never, for
    /// the upper-case text here), else `TZOFFSET.get(name)` (empty).
    func tzoffset(_ name: Scalars) -> Int? {
        let t = PyText.string(name)
        return t == "utc" || t == "gmt" || t == "z" ? 0 : nil
    }

    func parseNumeric(_ tokens: inout [Scalars], _ start: Int, _ ymd: inout YMD, _ res: inout Result) throws(Failure) -> Int {
        var idx = start
        let valueRepr = tokens[idx]
        guard var value = Self.decimal(valueRepr) else { throw Failure() }  // 'Unknown numeric token'
        let lenLi = valueRepr.count
        let n = tokens.count
        let s = valueRepr

        if ymd.values.count == 3, lenLi == 2 || lenLi == 4, res.hour == nil,
            idx + 1 >= n || (!PyText.equals(tokens[idx + 1], ":") && Self.hmsIndex(tokens[idx + 1]) == nil)
        {
            guard let h = Self.int(s.prefix(2)) else { throw Failure() }
            res.hour = h
            if lenLi == 4 {
                guard let m = Self.int(s.dropFirst(2)) else { throw Failure() }
                res.minute = m
            }
        } else if lenLi == 6 || (lenLi > 6 && s.firstIndex(of: ".") == 6) {
            if ymd.values.isEmpty && !s.contains(".") {
                try ymd.append(.text(Array(s[0..<2])))
                try ymd.append(.text(Array(s[2..<4])))
                try ymd.append(.text(Array(s[4...])))
            } else {
                guard let h = Self.int(s[0..<2]), let m = Self.int(s[2..<4]) else { throw Failure() }
                res.hour = h
                res.minute = m
                (res.second, res.microsecond) = try parseMS(Array(s[4...]))
            }
        } else if lenLi == 8 || lenLi == 12 || lenLi == 14 {
            try ymd.append(.text(Array(s[0..<4])), "Y")
            try ymd.append(.text(Array(s[4..<6])))
            try ymd.append(.text(Array(s[6..<8])))
            if lenLi > 8 {
                guard let h = Self.int(s[8..<10]), let m = Self.int(s[10..<12]) else { throw Failure() }
                res.hour = h
                res.minute = m
                if lenLi > 12 {
                    guard let sec = Self.int(s[12...]) else { throw Failure() }
                    res.second = sec
                }
            }
        } else if let hmsIdx = findHMSIndex(idx, tokens) {
            let hms: Int?
            if hmsIdx > idx {
                hms = Self.hmsIndex(tokens[hmsIdx])
                idx = hmsIdx
            } else {
                hms = Self.hmsIndex(tokens[hmsIdx])! + 1
            }
            if let hms {
                switch hms {
                case 0:
                    res.hour = value.int
                    if value.hasFraction { res.minute = value.sixtiethsOfFraction }
                case 1:
                    res.minute = value.int
                    res.second = value.hasFraction ? value.sixtiethsOfFraction : nil
                case 2:
                    (res.second, res.microsecond) = try parseMS(valueRepr)
                default: break
                }
            }
        } else if idx + 2 < n, PyText.equals(tokens[idx + 1], ":") {
            res.hour = value.int
            guard let v2 = Self.decimal(tokens[idx + 2]) else { throw Failure() }
            value = v2
            res.minute = value.int
            res.second = value.hasFraction ? value.sixtiethsOfFraction : nil
            if idx + 4 < n, PyText.equals(tokens[idx + 3], ":") {
                (res.second, res.microsecond) = try parseMS(tokens[idx + 4])
                idx += 2
            }
            idx += 2
        } else if idx + 1 < n, ["-", "/", "."].contains(where: { PyText.equals(tokens[idx + 1], $0) }) {
            let sep = tokens[idx + 1]
            try ymd.append(.text(valueRepr))
            if idx + 2 < n, !Self.isJump(tokens[idx + 2]) {
                if PyText.isDigits(tokens[idx + 2]) {
                    try ymd.append(.text(tokens[idx + 2]))
                } else if let m = Self.month(tokens[idx + 2]) {
                    try ymd.append(.int(m), "M")
                } else {
                    throw Failure()
                }
                if idx + 3 < n, tokens[idx + 3] == sep {
                    guard idx + 4 < n else { throw Failure() }
                    if let m = Self.month(tokens[idx + 4]) {
                        try ymd.append(.int(m), "M")
                    } else {
                        try ymd.append(.text(tokens[idx + 4]))
                    }
                    idx += 2
                }
                idx += 1
            }
            idx += 1
        } else if idx + 1 >= n || Self.isJump(tokens[idx + 1]) {
            if idx + 2 < n, let a = Self.ampmIndex(tokens[idx + 2]) {
                res.hour = adjustAmpm(value.int, a)
                idx += 1
            } else {
                try ymd.append(.number(value))
            }
            idx += 1
        } else if let a = Self.ampmIndex(tokens[idx + 1]), value.less(24) {
            res.hour = adjustAmpm(value.int, a)
            idx += 1
        } else if try ymd.couldBeDay(value) {
            try ymd.append(.number(value))
        } else {
            throw Failure()
        }
        return idx
    }

    func findHMSIndex(_ idx: Int, _ tokens: [Scalars]) -> Int? {
        let n = tokens.count
        if idx + 1 < n, Self.hmsIndex(tokens[idx + 1]) != nil { return idx + 1 }
        if idx + 2 < n, PyText.equals(tokens[idx + 1], " "), Self.hmsIndex(tokens[idx + 2]) != nil { return idx + 2 }
        if idx > 0, Self.hmsIndex(tokens[idx - 1]) != nil { return idx - 1 }
        if idx > 1, idx == n - 1, PyText.equals(tokens[idx - 1], " "), Self.hmsIndex(tokens[idx - 2]) != nil { return idx - 2 }
        return nil
    }

    /// `_parsems`: seconds and microseconds of `S[.F]`.
    func parseMS(_ value: Scalars) throws(Failure) -> (Int, Int) {
        guard value.contains(".") else {
            guard let s = Self.int(value) else { throw Failure() }
            return (s, 0)
        }
        let parts = PyText.split(value, on: ".")
        guard parts.count == 2, let s = Self.int(parts[0]) else { throw Failure() }
        var f = Array(parts[1].prefix(6))
        while f.count < 6 { f.append("0") }
        guard let us = Self.int(f) else { throw Failure() }
        return (s, us)
    }

    // MARK: - validate, _build_naive, _build_tzaware

    /// `convertyear`: two-digit years within 50 years of this year.
    func convertYear(_ year: Int, centurySpecified: Bool) -> Int {
        var year = year
        let thisYear = Civil.date(floorDiv(now, Civil.secondsPerDay)).year
        if year < 100 && !centurySpecified {
            year += thisYear / 100 * 100
            if year >= thisYear + 50 {
                year -= 100
            } else if year < thisYear - 50 {
                year += 100
            }
        }
        return year
    }

    func validate(_ res: inout Result) {
        if let y = res.year { res.year = convertYear(y, centurySpecified: res.centurySpecified) }
        let name = res.tzname.map { PyText.string($0) }
        if (res.tzoffset == 0 && (name ?? "").isEmpty) || name == "Z" || name == "z" {
            res.tzname = PyText.scalars("UTC")
            res.tzoffset = 0
        } else if res.tzoffset != 0, let t = res.tzname, !t.isEmpty, Self.isUTCZone(t) {
            res.tzoffset = 0
        }
    }

    /// `default.replace(**repl)` with the parsed fields (and a weekday's next date).
    func buildNaive(_ res: Result) throws(PyError) -> Int {
        let today = Civil.date(floorDiv(now, Civil.secondsPerDay))
        var day = res.day
        if res.day == nil {
            let cyear = res.year ?? today.year
            let cmonth = res.month ?? today.month
            guard cmonth >= 1, cmonth <= 12 else {
                throw .value("bad month number \(cmonth); must be 1-12")
            }
            let length = Civil.daysInMonth(cyear, cmonth)
            if today.day > length { day = length }
        }
        let year = res.year ?? today.year
        let month = res.month ?? today.month
        let d = day ?? today.day
        let hour = res.hour ?? 0
        let minute = res.minute ?? 0
        let second = res.second ?? 0
        let microsecond = res.microsecond ?? 0
        // The arguments become C ints first (in this order), then are checked.
        for v in [year, month, d, hour, minute, second, microsecond] {
            if v == Int.max || v == Int.min {
                throw PyError(type: "OverflowError", message: "Python int too large to convert to C long")
            }
            if v > Int(Int32.max) {
                throw PyError(type: "OverflowError", message: "signed integer is greater than maximum")
            }
            if v < Int(Int32.min) {
                throw PyError(type: "OverflowError", message: "signed integer is less than minimum")
            }
        }
        try Civil.checkDate(year, month, d)
        guard hour >= 0, hour <= 23 else { throw .value("hour must be in 0..23") }
        guard minute >= 0, minute <= 59 else { throw .value("minute must be in 0..59") }
        guard second >= 0, second <= 59 else { throw .value("second must be in 0..59") }
        guard microsecond >= 0, microsecond <= 999_999 else { throw .value("microsecond must be in 0..999999") }
        var days = Civil.days(year, month, d)
        if let wd = res.weekday, res.day == nil {
            days += floorMod(wd - Civil.weekday(days), 7)
            if days > Civil.maxDay { throw PyError(type: "OverflowError", message: "date value out of range") }
        }
        return (days * Civil.secondsPerDay + hour * 3600 + minute * 60 + second) * 1_000_000 + microsecond
    }

    func buildZone(_ res: Result) -> DateZone {
        let name = res.tzname.map { PyText.string($0) } ?? ""
        if name == "UTC" { return .utc }  // time.tzname on a UTC machine: tzlocal()
        if res.tzoffset == 0 { return .utc }
        if let off = res.tzoffset, off != 0 { return .offset(off) }
        return .naive
    }

    /// `tzoffset(name, offset)`'s `timedelta(seconds=offset)`: beyond a billion days it overflows.
    func checkZone(_ zone: DateZone) throws(PyError) {
        if case .offset(let off) = zone {
            let days = floorDiv(off, 86_400)
            if days > Int(Int32.max) || days < Int(Int32.min) {
                throw PyError(type: "OverflowError", message: "Python int too large to convert to C int")
            }
            if abs(days) > 999_999_999 {
                throw PyError(type: "OverflowError", message: "days=\(days); must have magnitude <= 999999999")
            }
        }
    }
}
