import Foundation

/// A deployment schedule's `schedule`: the reference's union of `IntervalSchedule`,
/// `CronSchedule` and `RRuleSchedule`, read and normalised as pydantic reads it, stored as the
/// JSON the reference answers.
public enum Schedule: Sendable, Equatable {
    case interval(IntervalSchedule)
    case cron(cron: String, timezone: String?, dayOr: Bool)
    case rrule(rrule: String, timezone: String?)

    /// The class name the reference uses for a run's `created_by.display_value` without a slug.
    public var className: String {
        switch self {
        case .interval: "IntervalSchedule"
        case .cron: "CronSchedule"
        case .rrule: "RRuleSchedule"
        }
    }

    /// The time zone its dates are written in (the idempotency keys of its runs).
    public var zone: Zone {
        switch self {
        case .interval(let s): s.zone
        case .cron(_, let tz, _), .rrule(_, let tz): tz.flatMap(Zone.init) ?? Zone("UTC")!
        }
    }

    /// Whether Weir computes this kind's dates yet (see ``dates(n:start:end:)``).
    public var isComputable: Bool { if case .rrule = self { false } else { true } }

    /// Up to `n` dates from `start` to `end` (instants in microseconds), or nil for a kind whose
    /// arithmetic Weir does not have yet (RRule: stored and answered, no runs made).
    public func dates(n: Int?, start: Int64, end: Int64?) -> [Int64]? {
        switch self {
        case .interval(let s): return s.dates(n: n, start: start, end: end)
        case .cron(let cron, _, let dayOr):
            guard let schedule = try? CronSchedule(cron: cron, zone: zone, dayOr: dayOr) else { return [] }
            return schedule.dates(n: n, start: start, end: end)
        case .rrule: return nil
        }
    }

    /// A stored schedule (as ``read(_:now:)`` normalised it).
    public init?(stored: JSONValue) {
        if case .number(let text)? = stored["interval"], let seconds = Double(text),
            case .string(let anchorText)? = stored["anchor_date"], let anchor = Timestamp(iso8601: anchorText)
        {
            let tz: String
            if case .string(let t)? = stored["timezone"] { tz = t } else { tz = "UTC" }
            guard let zone = Zone(tz) ?? Zone("UTC") else { return nil }
            let micros = (seconds * 1_000_000).rounded()
            guard micros >= 1, micros < 9.0e18 else { return nil }
            self = .interval(IntervalSchedule(interval: Int64(micros), anchor: anchor.microseconds, zone: zone))
        } else if case .string(let cron)? = stored["cron"] {
            var tz: String?
            if case .string(let t)? = stored["timezone"] { tz = t }
            self = .cron(cron: cron, timezone: tz, dayOr: stored["day_or"] != .bool(false))
        } else if case .string(let rrule)? = stored["rrule"] {
            var tz: String?
            if case .string(let t)? = stored["timezone"] { tz = t }
            self = .rrule(rrule: rrule, timezone: tz)
        } else {
            return nil
        }
    }

    /// The loc segment pydantic names each member of the union with.
    static let branches = (
        interval: "function-after[validate_timezone(), IntervalSchedule]",
        cron: "function-after[validate_timezone(), CronSchedule]",
        rrule: "RRuleSchedule"
    )

    /// Reads a schedule as the reference's union does: the first member that accepts it gives
    /// the normalised schedule; when none does, every member's errors are reported.
    public static func read(_ field: JSONField, now: Timestamp) -> JSONValue? {
        guard let value = field.value else { return nil }
        var collected: [ValidationIssue] = []
        let members: [(String, (JSONField, Timestamp) -> JSONValue?)] = [
            (branches.interval, readInterval), (branches.cron, readCron), (branches.rrule, readRRule),
        ]
        for (name, read) in members {
            let context = ValidationContext()
            let member = JSONField(value: value, loc: field.loc + [.key(name)], context: context)
            if let schedule = read(member, now), context.issues.isEmpty { return schedule }
            collected += context.issues
        }
        for issue in collected { field.context.add(issue) }
        return nil
    }

    /// A member's object; its unknown keys are reported after its fields' issues
    /// (``extras(_:fields:)``), in pydantic's order.
    private static func object(_ f: JSONField) -> ObjectReader? { f.model(forbidExtra: false, known: []) }

    private static func extras(_ r: ObjectReader, fields: Set<String>) {
        guard case .object(let pairs) = r.value else { return }
        for (k, v) in pairs where !fields.contains(k) {
            r.context.add(ValidationIssue(type: "extra_forbidden", loc: r.loc + [.key(k)], msg: "Extra inputs are not permitted", input: v))
        }
    }

    static func invalidTimezone(_ name: String) -> String {
        "Value error, Invalid timezone: \"\(name)\" (specify in IANA tzdata format, for example, America/New_York)"
    }

    /// `IntervalSchedule`: `interval` a positive timedelta (seconds, answered as a float),
    /// `anchor_date` (now when absent; naive is UTC; an offset is kept), `timezone` (validated;
    /// "UTC" when absent).
    static func readInterval(_ f: JSONField, now: Timestamp) -> JSONValue? {
        guard let r = object(f) else { return nil }
        var seconds: Double?
        if let i = r.required("interval") {
            seconds = timedelta(i)
            if let s = seconds, s <= 0 {
                i.fail("value_error", "Value error, interval must be positive", ctx: .object([("error", .emptyObject)]))
                seconds = nil
            }
        }
        var anchor = (instant: now, offset: Int64(0))
        let a = r["anchor_date"]
        if a.value != nil {
            var field = a
            field.nullable = false
            if let parsed = offsetDateTime(field) { anchor = parsed } else { seconds = nil }
        }
        var timezone: String?
        let tz = r["timezone"]
        if !tz.isAbsentOrNull { timezone = tz.string() }
        extras(r, fields: ["interval", "anchor_date", "timezone"])
        guard let seconds, f.context.issues.isEmpty else { return nil }
        if let timezone, !timezone.isEmpty, !TimeZoneNames.known.contains(timezone) || Zone(timezone) == nil {
            f.fail("value_error", invalidTimezone(timezone), ctx: .object([("error", .emptyObject)]))
            return nil
        }
        return .object([
            ("interval", .number(JSONWriter.pythonFloat(seconds))),
            ("anchor_date", .string(anchor.instant.description(offset: anchor.offset))),
            ("timezone", .string(timezone ?? "UTC")),
        ])
    }

    /// `CronSchedule`: `cron` (validated as croniter reads it, ``CronSchedule``), `timezone`
    /// (validated; null when absent), `day_or` (true when absent).
    static func readCron(_ f: JSONField, now: Timestamp) -> JSONValue? {
        guard let r = object(f) else { return nil }
        var cron: String?
        if let c = r.required("cron"), let s = c.string() {
            do {
                _ = try CronSchedule(cron: s)
                cron = s
            } catch {
                c.fail("value_error", "Value error, \(error.message)", ctx: .object([("error", .emptyObject)]))
            }
        }
        var timezone: String?
        let tz = r["timezone"]
        if !tz.isAbsentOrNull { timezone = tz.string() }
        var dayOr = true
        if !r["day_or"].isAbsentOrNull, let b = r["day_or"].bool() { dayOr = b }
        extras(r, fields: ["cron", "timezone", "day_or"])
        guard let cron, f.context.issues.isEmpty else { return nil }
        if let timezone, !timezone.isEmpty, !TimeZoneNames.known.contains(timezone) || Zone(timezone) == nil {
            f.fail("value_error", invalidTimezone(timezone), ctx: .object([("error", .emptyObject)]))
            return nil
        }
        return .object([("cron", .string(cron)), ("timezone", timezone.map(JSONValue.string) ?? .null), ("day_or", .bool(dayOr))])
    }

    /// `RRuleSchedule`: `rrule` (see ``rruleProblem(_:)``), `timezone` ("UTC" when absent; it must
    /// contain a known zone name, as pydantic searches the reference's pattern). An RRule without
    /// `DTSTART` gets the reference's (``normalisedRRule(_:timezone:now:)``).
    static func readRRule(_ f: JSONField, now: Timestamp) -> JSONValue? {
        guard let r = object(f) else { return nil }
        var rrule: String?
        if let field = r.required("rrule"), let s = field.string() {
            if let problem = rruleProblem(s) {
                field.fail("value_error", "Value error, Invalid RRule string \"\(s)\": \(problem)", ctx: .object([("error", .emptyObject)]))
            } else if s.count > 6500 {
                field.fail(
                    "value_error",
                    "Value error, Invalid RRule string \"\(s.prefix(40))...\"\nMax length is 6500, got \(s.count)",
                    ctx: .object([("error", .emptyObject)])
                )
            } else {
                rrule = s
            }
        }
        var timezone: String? = "UTC"
        let tz = r["timezone"]
        if tz.value == .null {
            timezone = nil
        } else if tz.value != nil, let s = tz.string() {
            if TimeZoneNames.pattern.contains(where: { s.contains($0) }) {
                timezone = s
            } else {
                tz.fail(
                    "string_pattern_mismatch",
                    "String should match pattern '\(TimeZoneNames.pattern.joined(separator: "|"))'",
                    ctx: .object([("pattern", .string(TimeZoneNames.pattern.joined(separator: "|")))])
                )
            }
        }
        extras(r, fields: ["rrule", "timezone"])
        guard let rrule, f.context.issues.isEmpty else { return nil }
        return .object([
            ("rrule", .string(normalisedRRule(rrule, timezone: timezone, now: now))), ("timezone", timezone.map(JSONValue.string) ?? .null),
        ])
    }
}

// MARK: - Parsing helpers

extension Schedule {
    /// A timedelta as pydantic reads one: seconds (a number or a numeric string), an ISO 8601
    /// duration (`P1DT2H`, `PT1.5S`) or `[D day[s], ]HH:MM:SS[.f]`. Seconds, or nil with an issue.
    static func timedelta(_ f: JSONField) -> Double? {
        guard let value = f.value else { return nil }
        switch value {
        case .number(let n):
            if let d = Double(n), d.isFinite { return d }
        case .string(let s):
            if let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite { return d }
            if let d = isoDuration(s) ?? clockDuration(s) { return d }
            f.fail("time_delta_parsing", "Input should be a valid timedelta, invalid duration format")
            return nil
        default: break
        }
        f.fail("time_delta_type", "Input should be a valid timedelta")
        return nil
    }

    /// `P[nW][nD][T[nH][nM][nS]]` (fractions allowed), negative with a leading `-`.
    static func isoDuration(_ text: String) -> Double? {
        var s = Substring(text)
        var sign = 1.0
        if s.first == "-" {
            sign = -1
            s = s.dropFirst()
        }
        guard s.first == "P" || s.first == "p" else { return nil }
        s = s.dropFirst()
        var total = 0.0
        var inTime = false
        var number = ""
        var any = false
        for c in s {
            switch c {
            case "T", "t":
                guard number.isEmpty, !inTime else { return nil }
                inTime = true
            case "0"..."9", ".":
                number.append(c)
            default:
                guard let v = Double(number) else { return nil }
                number = ""
                any = true
                switch (c.uppercased(), inTime) {
                case ("W", false): total += v * 604_800
                case ("D", false): total += v * 86_400
                case ("H", true): total += v * 3600
                case ("M", true): total += v * 60
                case ("S", true): total += v
                default: return nil
                }
            }
        }
        return any && number.isEmpty ? sign * total : nil
    }

    /// `[D day[s], ]HH:MM:SS[.ffffff]`.
    static func clockDuration(_ text: String) -> Double? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var days = 0.0
        if let comma = rest.firstIndex(of: ",") {
            let head = rest[..<comma].split(separator: " ")
            guard head.count == 2, let d = Double(head[0]), head[1] == "day" || head[1] == "days" else { return nil }
            days = d
            rest = rest[rest.index(after: comma)...].drop { $0 == " " }
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let h = Double(parts[0]), let m = Double(parts[1]), let sec = Double(parts[2]),
            parts[0].allSatisfy(\.isNumber), parts[1].allSatisfy(\.isNumber)
        else { return nil }
        return days * 86_400 + h * 3600 + m * 60 + sec
    }

    /// A datetime with the UTC offset it was written with (0 for naive or `Z`): pydantic keeps the
    /// offset and answers with it.
    static func offsetDateTime(_ f: JSONField) -> (instant: Timestamp, offset: Int64)? {
        guard let instant = f.timestamp() else { return nil }
        guard case .string(let text)? = f.value else { return (instant, 0) }
        return (instant, Timestamp.utcOffset(ofISO8601: text))
    }

    /// Python's `str()` of a zoned datetime, as the reference writes a scheduled run's
    /// idempotency key: `2031-11-02 01:30:00-04:00` (`.ffffff` when not whole seconds).
    public static func pythonLocalString(_ instant: Int64, zone: Zone) -> String {
        let offset = zone.offset(at: instant)
        var s = Timestamp(microseconds: instant + offset).description
        s.removeLast()
        return s.replacingOccurrences(of: "T", with: " ") + Timestamp.offsetSuffix(offset)
    }

    /// A coarse RRule check until Weir has dateutil's parser, with dateutil's messages for what it
    /// catches: an empty string, a part without `=`, an unknown parameter, an unknown `FREQ`.
    /// (Without `FREQ` dateutil raises a TypeError, a 500 in the reference; here a 422.)
    static func rruleProblem(_ s: String) -> String? {
        if s.isEmpty { return "empty string" }
        let known: Set<String> = [
            "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYWEEKDAY", "BYMONTHDAY", "BYYEARDAY",
            "BYEASTER", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
        ]
        let frequencies: Set<String> = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]
        for line in s.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            var body = Substring(line)
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].uppercased()
                if name.hasPrefix("DTSTART") || name.hasPrefix("EXDATE") || name.hasPrefix("RDATE") { continue }
                body = line[line.index(after: colon)...]
            }
            var hasFreq = false
            for part in body.split(separator: ";") {
                let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2 else { return "not enough values to unpack (expected 2, got 1)" }
                let name = kv[0].uppercased()
                guard known.contains(name) else { return "unknown parameter '\(kv[0])'" }
                if name == "FREQ" {
                    guard frequencies.contains(kv[1].uppercased()) else { return "invalid 'FREQ': \(kv[1])" }
                    hasFreq = true
                }
            }
            if !hasFreq { return "rrule.__init__() missing 1 required positional argument: 'freq'" }
        }
        return nil
    }

    /// The reference's `normalize_rrule_string`: an RRule without `DTSTART` gets
    /// `DTSTART:20200101T000000`, except a single SECONDLY or MINUTELY rule without `COUNT`,
    /// which gets the latest anchor `2020-01-01 + k × period` at or before `now` in its zone.
    static func normalisedRRule(_ s: String, timezone: String?, now: Timestamp) -> String {
        if s.uppercased().contains("DTSTART") { return s }
        let legacy = Timestamp(microseconds: 1_577_836_800_000_000)  // 2020-01-01T00:00:00 (wall)
        func prepend(_ wall: Timestamp) -> String {
            var d = wall.description  // YYYY-MM-DDTHH:MM:SS[.f]Z
            d = String(d.prefix(19)).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
            return "DTSTART:\(d)\n\(s)"
        }
        let lines = s.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.uppercased() }
        guard lines.count == 1, !lines[0].hasPrefix("EXRULE"), !lines[0].hasPrefix("RDATE"), !lines[0].hasPrefix("EXDATE") else {
            return prepend(legacy)
        }
        var params: [String: String] = [:]
        let body = lines[0].hasPrefix("RRULE:") ? lines[0].dropFirst(6) : Substring(lines[0])
        for part in body.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { params[String(kv[0])] = String(kv[1]) }
        }
        guard params["COUNT"] == nil, let freq = params["FREQ"], freq == "SECONDLY" || freq == "MINUTELY" else { return prepend(legacy) }
        let interval = Int64(params["INTERVAL"] ?? "1") ?? 1
        guard interval > 0 else { return prepend(legacy) }
        let period = (freq == "SECONDLY" ? 1 : 60) * interval * 1_000_000
        let zone = timezone.flatMap(Zone.init) ?? Zone("UTC")!
        let wallNow = zone.wall(now.microseconds)
        let delta = wallNow - legacy.microseconds
        guard delta > 0 else { return prepend(legacy) }
        return prepend(Timestamp(microseconds: legacy.microseconds + (delta / period) * period))
    }
}
