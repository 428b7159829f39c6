/// dateutil's `rrulestr(s, dtstart=..., cache=True)` (no `unfold`, no `forceset`): the rule or
/// rule set a string describes, or the exception dateutil raises for it, with its message.

enum Freq {
    static let yearly = 0, monthly = 1, weekly = 2, daily = 3, hourly = 4, minutely = 5, secondly = 6
    static let names: [String: Int] = [
        "YEARLY": 0, "MONTHLY": 1, "WEEKLY": 2, "DAILY": 3, "HOURLY": 4, "MINUTELY": 5, "SECONDLY": 6,
    ]
}

let weekdayCodes: [String: Int] = ["MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6]

/// One RRULE's keyword arguments, as `_parse_rfc_rrule` collects them.
struct RuleArguments {
    var freq: Int?
    var interval = 1
    var count: Int?
    var until: ParsedDate?
    var wkst: Int?
    var bysetpos: [Int]?
    var bymonth: [Int]?
    var bymonthday: [Int]?
    var byyearday: [Int]?
    var byeaster: [Int]?
    var byweekno: [Int]?
    var byweekday: [(weekday: Int, n: Int?)]?
    var byhour: [Int]?
    var byminute: [Int]?
    var bysecond: [Int]?
}

/// What `rrulestr` returns.
enum ParsedRRule {
    case rule(Rule)
    case set(RuleSet)
}

struct RuleSet {
    var rrules: [Rule] = []
    /// Walls, microseconds.
    var rdates: [Int] = []
    var exrules: [Rule] = []
    var exdates: [Int] = []
}

/// A compiled `rrule`: what `rrule.__init__` keeps (`_freq`, `_dtstart`, `_byxxx`, `_timeset`).
struct Rule {
    var freq: Int
    /// Wall seconds (microseconds dropped, as `rrule` drops them).
    var dtstart: Int
    var interval: Int
    var wkst: Int
    var count: Int?
    /// Wall microseconds.
    var until: Int?
    var bysetpos: [Int]?
    var bymonth: [Int]?
    var byyearday: [Int]?
    var byeaster: [Int]?
    var bymonthday: [Int] = []
    var bynmonthday: [Int] = []
    var byweekno: [Int]?
    var byweekday: [Int]?
    var bynweekday: [(weekday: Int, n: Int)]?
    var byhour: [Int]?
    var byminute: [Int]?
    var bysecond: [Int]?
    /// Seconds of the day, sorted (`_timeset`, for frequencies above HOURLY).
    var timeset: [Int]?

    /// `rrule(freq, dtstart, ...)`. `dtstart` nil: `datetime.now()` (in UNTIL's zone when it has
    /// one), `now` being seconds since the epoch (the local zone is UTC).
    init(_ a: RuleArguments, dtstart start: ParsedDate?, now: Int) throws(PyError) {
        guard let freq = a.freq else {
            throw PyError(type: "TypeError", message: "rrule.__init__() missing 1 required positional argument: 'freq'")
        }
        self.freq = freq
        let dtstartWall: Int
        let dtstartAware: Bool
        if let start {
            dtstartWall = floorDiv(start.wall, 1_000_000)
            dtstartAware = start.zone.isAware
        } else if let until = a.until, until.zone.isAware {
            var offset = 0
            if case .offset(let o) = until.zone { offset = o }
            let wall = now + offset
            if floorDiv(wall, Civil.secondsPerDay) > Civil.maxDay || floorDiv(wall, Civil.secondsPerDay) < Civil.minDay {
                throw PyError(type: "OverflowError", message: "date value out of range")
            }
            dtstartWall = wall
            dtstartAware = true
        } else {
            dtstartWall = now
            dtstartAware = false
        }
        dtstart = dtstartWall
        interval = a.interval
        count = a.count
        until = a.until?.wall
        if let u = a.until, u.zone.isAware != dtstartAware {
            throw .value("RRULE UNTIL values must be specified in UTC when DTSTART is timezone-aware")
        }
        wkst = a.wkst ?? 0
        if let pos = a.bysetpos {
            for p in pos where p == 0 || p < -366 || p > 366 {
                throw .value("bysetpos must be between 1 and 366, or between -366 and -1")
            }
            bysetpos = pos
        }
        let days = floorDiv(dtstartWall, Civil.secondsPerDay)
        let (_, startMonth, startDay) = Civil.date(days)
        let startSecond = dtstartWall - days * Civil.secondsPerDay
        let (sh, sm, ss) = (startSecond / 3600, startSecond / 60 % 60, startSecond % 60)

        var bymonth = a.bymonth
        var bymonthday = a.bymonthday
        var byweekdayArg = a.byweekday
        var defaultWeekday: Int?
        if a.byweekno == nil && a.byyearday == nil && a.bymonthday == nil && a.byweekday == nil && a.byeaster == nil {
            if freq == Freq.yearly {
                if bymonth == nil { bymonth = [startMonth] }
                bymonthday = [startDay]
            } else if freq == Freq.monthly {
                bymonthday = [startDay]
            } else if freq == Freq.weekly {
                defaultWeekday = Civil.weekday(days)
                byweekdayArg = nil
            }
        }
        self.bymonth = bymonth.map { Array(Set($0)).sorted() }
        byyearday = a.byyearday.map { Array(Set($0)).sorted() }
        byeaster = a.byeaster?.sorted()
        if let md = bymonthday {
            let unique = Set(md)
            self.bymonthday = unique.filter { $0 > 0 }.sorted()
            bynmonthday = unique.filter { $0 < 0 }.sorted()
        }
        byweekno = a.byweekno.map { Array(Set($0)).sorted() }
        if let wd = defaultWeekday {
            byweekday = [wd]
        } else if let list = byweekdayArg {
            var plain = Set<Int>()
            var nth = Set<[Int]>()
            for w in list {
                if let n = w.n, freq <= Freq.monthly {
                    nth.insert([w.weekday, n])
                } else {
                    plain.insert(w.weekday)
                }
            }
            if plain.isEmpty {
                byweekday = nil
                bynweekday = nth.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0[0], $0[1]) }
            } else {
                byweekday = plain.sorted()
                bynweekday = nth.isEmpty ? nil : nth.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0[0], $0[1]) }
            }
        }
        let interval = self.interval
        func constructByset(_ start: Int, _ values: [Int], _ base: Int) throws(PyError) -> [Int] {
            let g = gcd(interval, base)
            let kept = Set(values.filter { g == 1 || floorMod($0 - start, g) == 0 })
            if kept.isEmpty { throw .value("Invalid rrule byxxx generates an empty set.") }
            return kept.sorted()
        }
        if let h = a.byhour {
            byhour = freq == Freq.hourly ? try constructByset(sh, h, 24) : Array(Set(h)).sorted()
        } else if freq < Freq.hourly {
            byhour = [sh]
        }
        if let m = a.byminute {
            byminute = freq == Freq.minutely ? try constructByset(sm, m, 60) : Array(Set(m)).sorted()
        } else if freq < Freq.minutely {
            byminute = [sm]
        }
        if let s = a.bysecond {
            bysecond = freq == Freq.secondly ? try constructByset(ss, s, 60) : Array(Set(s)).sorted()
        } else if freq < Freq.secondly {
            bysecond = [ss]
        }
        if freq < Freq.hourly {
            var set: [Int] = []
            for h in byhour! {
                for m in byminute! {
                    for s in bysecond! {
                        set.append(try Self.time(h, m, s))
                    }
                }
            }
            timeset = set.sorted()
        }
    }

    /// `datetime.time(hour, minute, second)`: seconds of the day, or Python's complaint.
    static func time(_ h: Int, _ m: Int, _ s: Int) throws(PyError) -> Int {
        for v in [h, m, s] {
            if PyText.beyondCLong(v) {
                throw PyError(type: "OverflowError", message: "Python int too large to convert to C long")
            }
            if v > Int(Int32.max) { throw PyError(type: "OverflowError", message: "signed integer is greater than maximum") }
            if v < Int(Int32.min) { throw PyError(type: "OverflowError", message: "signed integer is less than minimum") }
        }
        guard h >= 0, h <= 23 else { throw .value("hour must be in 0..23") }
        guard m >= 0, m <= 59 else { throw .value("minute must be in 0..59") }
        guard s >= 0, s <= 59 else { throw .value("second must be in 0..59") }
        return h * 3600 + m * 60 + s
    }
}

/// `rrulestr`.
struct RRuleStringParser {
    /// Seconds since the epoch: `datetime.now()` (the reference's local zone being UTC).
    var now: Int

    var dateParser: DateParser { DateParser(now: now) }

    /// `rrulestr(text, dtstart=dtstart)`; `dtstart` nil is `rrulestr`'s default (each rule starts now).
    func parse(_ text: String, dtstart defaultStart: ParsedDate?) throws(PyError) -> ParsedRRule {
        let original = PyText.scalars(text)
        let tzids = Self.tzidNames(original)
        let s = PyText.upper(text)
        if s.allSatisfy(PyText.isSpace) { throw .value("empty string") }
        let lines = PyText.split(s)
        if lines.count == 1 && (!s.contains(":") || PyText.hasPrefix(s, "RRULE:")) {
            return .rule(try parseRule(lines[0], dtstart: defaultStart))
        }
        var rrulevals: [Scalars] = []
        var rdatevals: [Scalars] = []
        var exrulevals: [Scalars] = []
        var exdates: [Int] = []
        var dtstart = defaultStart
        for line in lines {
            let name: Scalars
            let value: Scalars
            if let colon = line.firstIndex(of: ":") {
                name = Array(line[..<colon])
                value = Array(line[(colon + 1)...])
            } else {
                name = PyText.scalars("RRULE")
                value = line
            }
            let parms = PyText.split(name, on: ";")
            let property = PyText.string(parms[0])
            let rest = parms.dropFirst()
            switch property {
            case "RRULE":
                if let p = rest.first { throw .value("unsupported RRULE parm: " + PyText.string(p)) }
                rrulevals.append(value)
            case "RDATE":
                for p in rest where PyText.string(p) != "VALUE=DATE-TIME" {
                    throw .value("unsupported RDATE parm: " + PyText.string(p))
                }
                rdatevals.append(value)
            case "EXRULE":
                if let p = rest.first { throw .value("unsupported EXRULE parm: " + PyText.string(p)) }
                exrulevals.append(value)
            case "EXDATE":
                exdates.append(contentsOf: try parseDateValue(value, Array(rest), tzids).map(\.wall))
            case "DTSTART":
                let values = try parseDateValue(value, Array(rest), tzids)
                if values.count != 1 { throw .value("Multiple DTSTART values specified:" + PyText.string(value)) }
                dtstart = values[0]
            default:
                throw .value("unsupported property: " + property)
            }
        }
        if rrulevals.count > 1 || !rdatevals.isEmpty || !exrulevals.isEmpty || !exdates.isEmpty {
            var set = RuleSet()
            for v in rrulevals { set.rrules.append(try parseRule(v, dtstart: dtstart)) }
            for v in rdatevals {
                for d in PyText.split(v, on: ",") { set.rdates.append(try dateParser.parse(d).wall) }
            }
            for v in exrulevals { set.exrules.append(try parseRule(v, dtstart: dtstart)) }
            set.exdates = exdates
            return .set(set)
        }
        guard let only = rrulevals.first else { throw .index() }
        return .rule(try parseRule(only, dtstart: dtstart))
    }

    /// `re.findall('TZID=(?P<name>[^:]+):', s)` on the text as written, keyed by `name.upper()`.
    static func tzidNames(_ s: Scalars) -> [Scalars: String] {
        var names: [Scalars: String] = [:]
        // The next colon at or after each position (scanned once, from the end).
        var nextColon = [Int](repeating: s.count, count: s.count + 1)
        var i = s.count - 1
        while i >= 0 {
            nextColon[i] = s[i] == ":" ? i : nextColon[i + 1]
            i -= 1
        }
        let key: Scalars = ["T", "Z", "I", "D", "="]
        var p = 0
        while p + 5 <= s.count {
            if s[p] == "T" && Array(s[p..<(p + 5)]) == key {
                let colon = nextColon[p + 5]
                if colon < s.count && colon > p + 5 {
                    let name = PyText.string(s[(p + 5)..<colon])
                    names[PyText.upper(name)] = name
                    p = colon + 1
                    continue
                }
            }
            p += 1
        }
        return names
    }

    /// `_parse_date_value`: the dates of a DTSTART or EXDATE value, each with the zone of a TZID
    /// parameter when it has none of its own.
    func parseDateValue(_ value: Scalars, _ parms: [Scalars], _ tzids: [Scalars: String]) throws(PyError) -> [ParsedDate] {
        var zone: String??  // nil: no TZID seen; .some(nil): gettz found nothing
        var valueFound = false
        for parm in parms {
            if PyText.hasPrefix(parm, "TZID=") {
                // parm.split('TZID=')[-1]: what follows the last "TZID=".
                var last = 0
                var j = 0
                while j + 5 <= parm.count {
                    if PyText.hasPrefix(parm[j...], "TZID=") {
                        last = j + 5
                        j += 5
                    } else {
                        j += 1
                    }
                }
                guard let name = tzids[Array(parm[last...])] else { continue }
                zone = .some(Gettz.known(name) ? name : nil)
                continue
            }
            let p = PyText.string(parm)
            if p != "VALUE=DATE-TIME" && p != "VALUE=DATE" { throw .value("unsupported parm: " + p) }
            if valueFound { throw .value("Duplicate value parameter found in: " + p) }
            valueFound = true
        }
        var dates: [ParsedDate] = []
        for text in PyText.split(value, on: ",") {
            var date = try dateParser.parse(text)
            if case .some(.some(let name)) = zone {
                if date.zone.isAware { throw .value("DTSTART/EXDATE specifies multiple timezone") }
                date.zone = .named(name)
            }
            dates.append(date)
        }
        return dates
    }

    /// `_parse_rfc_rrule`: one RRULE (or EXRULE) value.
    func parseRule(_ line: Scalars, dtstart: ParsedDate?) throws(PyError) -> Rule {
        var value = line
        if line.contains(":") {
            let parts = PyText.split(line, on: ":")
            if parts.count > 2 { throw .value("too many values to unpack (expected 2)") }
            if PyText.string(parts[0]) != "RRULE" { throw .value("unknown parameter name") }
            value = parts[1]
        }
        var args = RuleArguments()
        for pair in PyText.split(value, on: ";") {
            let kv = PyText.split(pair, on: "=")
            if kv.count < 2 { throw .value("not enough values to unpack (expected 2, got 1)") }
            if kv.count > 2 { throw .value("too many values to unpack (expected 2)") }
            let name = PyText.string(PyText.upper(PyText.string(kv[0])))
            let v = PyText.upper(PyText.string(kv[1]))
            let invalid = PyError.value("invalid '\(name)': \(PyText.string(v))")
            func int(_ s: Scalars) throws(PyError) -> Int {
                guard let i = PyText.int(s) else { throw invalid }
                return i
            }
            func ints() throws(PyError) -> [Int] {
                var out: [Int] = []
                for piece in PyText.split(v, on: ",") { out.append(try int(piece)) }
                return out
            }
            switch name {
            case "FREQ":
                guard let f = Freq.names[PyText.string(v)] else { throw invalid }
                args.freq = f
            case "INTERVAL": args.interval = try int(v)
            case "COUNT": args.count = try int(v)
            case "BYSETPOS": args.bysetpos = try ints()
            case "BYMONTH": args.bymonth = try ints()
            case "BYMONTHDAY": args.bymonthday = try ints()
            case "BYYEARDAY": args.byyearday = try ints()
            case "BYEASTER": args.byeaster = try ints()
            case "BYWEEKNO": args.byweekno = try ints()
            case "BYHOUR": args.byhour = try ints()
            case "BYMINUTE": args.byminute = try ints()
            case "BYSECOND": args.bysecond = try ints()
            case "UNTIL":
                do {
                    args.until = try dateParser.parse(v)
                } catch let e where e.type == "ValueError" {
                    throw invalid
                }
            case "WKST":
                guard let w = weekdayCodes[PyText.string(v)] else { throw invalid }
                args.wkst = w
            case "BYDAY", "BYWEEKDAY":
                var list: [(weekday: Int, n: Int?)] = []
                for wday in PyText.split(v, on: ",") {
                    let w: Scalars
                    var n: Int?
                    if wday.contains("(") {
                        let split = PyText.split(wday, on: "(")
                        w = split[0]
                        n = try int(Array(split[1].dropLast()))
                    } else if !wday.isEmpty {
                        var i = wday.count - 1
                        for (k, c) in wday.enumerated() where !"+-0123456789".unicodeScalars.contains(c) {
                            i = k
                            break
                        }
                        let head = Array(wday[..<i])
                        w = Array(wday[i...])
                        if !head.isEmpty { n = try int(head) }
                    } else {
                        throw invalid  // "Invalid (empty) BYDAY specification."
                    }
                    guard let code = weekdayCodes[PyText.string(w)] else { throw invalid }
                    if n == 0 { throw invalid }  // "Can't create weekday with n==0"
                    list.append((code, n))
                }
                args.byweekday = list
            default:
                throw .value("unknown parameter '\(name)'")
            }
        }
        return try Rule(args, dtstart: dtstart, now: now)
    }
}
