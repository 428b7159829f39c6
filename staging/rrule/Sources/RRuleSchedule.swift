import Foundation

/// Why an RRule string is refused: what the reference's `validate_rrule_string` raises.
public enum RRuleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `Invalid RRule string "<rrule>": <dateutil's message>`: dateutil raised a ValueError (pydantic
    /// reports it after `Value error, `).
    case invalid(String)
    /// `Invalid RRule string "<first 40 characters>..."\nMax length is 6500, got <length>`.
    case tooLong(String)
    /// dateutil raised something other than a ValueError, which the reference's validator does not
    /// catch (a server error there): the Python exception's type and message, e.g. a rule without
    /// FREQ (`TypeError`, `rrule.__init__() missing 1 required positional argument: 'freq'`), a
    /// DTSTART line alone (`IndexError`, `list index out of range`), a 20-digit year
    /// (`OverflowError`).
    case unhandled(type: String, message: String)
    /// A time zone name that Foundation does not know.
    case unknownTimezone(String)

    /// The reference's message (for `unhandled`, the exception's `str()`).
    public var message: String {
        switch self {
        case .invalid(let m), .tooLong(let m): m
        case .unhandled(_, let m): m
        case .unknownTimezone(let name): "Unknown time zone \"\(name)\""
        }
    }

    public var description: String { message }
}

/// An RRule schedule: the reference's `RRuleSchedule` (prefect==3.9.1 on Python 3.11, dateutil
/// 2.9.0), whose `get_dates` walks `dateutil.rrule.rrulestr(rrule, dtstart=2020-01-01, cache=True)`
/// with every date relabelled in the schedule's time zone.
///
/// The string is what `rrulestr` reads: one rule (`FREQ=...;...` or `RRULE:...`), or lines of
/// `DTSTART`, `RRULE`, `EXRULE`, `RDATE` and `EXDATE` (split on any whitespace), case-insensitive.
/// Its semantics are dateutil's, deliberately:
/// - the time zone of DTSTART (`TZID=`, `Z`), UNTIL, RDATE and EXDATE only decides whether they
///   agree (UNTIL must be aware when DTSTART is): their wall clock digits are read in the
///   schedule's time zone (`to_rrule` replaces every `tzinfo`);
/// - without DTSTART a rule starts at 2020-01-01T00:00 (but is validated from the current time,
///   so `FREQ=HOURLY;INTERVAL=2;BYHOUR=3` is accepted at odd hours only);
/// - an occurrence is a wall time; one that a daylight saving change skips reads with the offset
///   after the change (an hour early: 02:30 on a spring-forward night is 01:30 standard time),
///   one that it repeats is its first occurrence; after January 2038 there is no daylight saving
///   time (see ``DateutilZone``);
/// - `BYMONTHDAY=0` filters nothing; BYSETPOS picks within each period, the first weekly period
///   running from DTSTART to the next WKST; dates dateutil cannot reach (February 30,
///   `BYHOUR=24`) are dropped, and combinations it cannot reach make it raise while iterating.
///
/// ``dates(n:start:end:)`` returns what `get_dates` returns. Where the reference raises while
/// iterating it returns no dates; where the reference would walk billions of occurrences
/// before the start (SECONDLY from 1900) it computes the same dates arithmetically (see
/// ``RuleIterator``); where even dateutil's own walk cannot end (interval 0 with nothing at or
/// after the start, combinations that only rarely match) it gives up after a bounded amount of
/// work and returns the dates found so far.
public struct RRuleSchedule: Sendable, Equatable {
    /// The RRule string, as given.
    public let rrule: String
    /// The time zone name (nil: the model's default, UTC).
    public let timezone: String?
    public let zone: Zone
    /// The clock (seconds since the epoch) the reference reads, fixed (tests), or nil for now.
    let fixedNow: Int?

    /// The reference's cap on candidate dates examined per call (`MAX_ITERATIONS`).
    public static let maxIterations = 1000
    /// `MAX_RRULE_LENGTH`.
    public static let maxLength = 6500
    /// Python's datetime range: 0001-01-01T00:00 to 9999-12-31T23:59:59.999999, microseconds.
    static let minInstant = Civil.minDay * 86_400_000_000
    static let maxInstant = (Civil.maxDay + 1) * 86_400_000_000 - 1
    /// DEFAULT_ANCHOR_DATE, 2020-01-01, as wall microseconds.
    static let anchor = 1_577_836_800_000_000

    /// Validates the RRule string as the reference's `validate_rrule_string` does, and the time
    /// zone (nil is UTC).
    public init(rrule: String, timezone: String?) throws(RRuleError) {
        try self.init(rrule: rrule, timezone: timezone, now: nil)
    }

    init(rrule: String, timezone: String?, now: Int?) throws(RRuleError) {
        let clock = now ?? Self.clock()
        do {
            _ = try RRuleStringParser(now: clock).parse(rrule, dtstart: nil)
        } catch {
            if error.type == "ValueError" { throw .invalid("Invalid RRule string \"\(rrule)\": \(error.message)") }
            throw .unhandled(type: error.type, message: error.message)
        }
        let length = rrule.unicodeScalars.count
        if length > Self.maxLength {
            let head = PyText.string(rrule.unicodeScalars.prefix(40))
            throw .tooLong("Invalid RRule string \"\(head)...\"\nMax length is \(Self.maxLength), got \(length)")
        }
        guard let zone = Zone(timezone ?? "UTC") else { throw .unknownTimezone(timezone ?? "") }
        self.rrule = rrule
        self.timezone = timezone
        self.zone = zone
        fixedNow = now
    }

    public static func == (a: RRuleSchedule, b: RRuleSchedule) -> Bool { a.rrule == b.rrule && a.timezone == b.timezone }

    static func clock() -> Int { Int(Date().timeIntervalSince1970.rounded(.down)) }

    /// Up to `n` dates (instants, microseconds) from `start` (inclusive) to `end` (inclusive), in
    /// order: the reference's `get_dates`. Without `n`: up to 1,000 with an `end`, else one; with
    /// `n` below 1, one. At most 1,002 candidates at or after `start` are examined; candidates
    /// that are the same instant (a daylight saving change can make two wall times one) count
    /// once. No dates where the reference raises.
    public func dates(n: Int? = nil, start: Int64, end: Int64? = nil) -> [Int64] {
        let n = n ?? (end == nil ? 1 : Self.maxIterations)
        let start = Int(start)
        let end = end.map { Int($0) }
        let parser = RRuleStringParser(now: fixedNow ?? Self.clock())
        guard let parsed = try? parser.parse(rrule, dtstart: ParsedDate(wall: Self.anchor, zone: .naive)) else { return [] }
        let dz = DateutilZone(zone)
        // Occurrences at wall times below this are before `start` whatever their offset.
        let skip = start + (minimumOffset(around: floorDiv(start, 1_000_000)) - 3600) * 1_000_000

        let next: () throws(PyError) -> Int?
        var skipped = 0
        switch parsed {
        case .rule(let rule):
            let it = RuleIterator(rule)
            it.skipBelow = skip
            next = { () throws(PyError) -> Int? in
                let v = try it.next()
                skipped = it.skipped
                return v
            }
        case .set(let set):
            func member(_ rule: Rule) -> RuleIterator {
                let it = RuleIterator(rule)
                if Self.heavy(rule, before: skip) { it.skipBelow = skip }
                return it
            }
            let it = SetIterator(set, rules: set.rrules.map(member), exrules: set.exrules.map(member))
            next = { () throws(PyError) -> Int? in try it.next() }
        }

        // `cache=True`: the reference computes occurrences 10 at a time, so an exception up to
        // the end of the batch holding the last one it uses surfaces.
        var batch: [Int] = []
        var batchIndex = 0
        var producedCount = 0
        var complete = false
        func pull() throws(PyError) -> Int? {
            if batchIndex < batch.count {
                batchIndex += 1
                return batch[batchIndex - 1]
            }
            if complete { return nil }
            batch.removeAll(keepingCapacity: true)
            batchIndex = 0
            // The batch runs to the next multiple of 10 occurrences, the skipped ones included.
            repeat {
                guard let w = try next() else {
                    complete = true
                    break
                }
                batch.append(w)
                producedCount += 1
            } while (skipped + producedCount) % 10 != 0
            if batch.isEmpty { return nil }
            batchIndex = 1
            return batch[0]
        }

        var seen = Set<Int>()
        var dates: [Int64] = []
        var counter = 0
        do {
            while let w = try pull() {
                let instant = dz.instant(wall: w)
                if instant < start { continue }
                // pendulum's `astimezone` raises beyond Python's datetime range.
                let local = instant + Int(zone.offset(at: Int64(instant)))
                if instant < Self.minInstant || instant > Self.maxInstant || local < Self.minInstant || local > Self.maxInstant {
                    return []
                }
                if let end, instant > end { break }
                if seen.insert(instant).inserted { dates.append(Int64(instant)) }
                if seen.count >= n || counter > Self.maxIterations { break }
                counter += 1
            }
        } catch {
            return []
        }
        return dates.sorted()
    }

    /// The smallest UTC offset (seconds) the zone has within two days of an instant, standard
    /// offsets included (dateutil's, after 2038).
    private func minimumOffset(around t: Int) -> Int {
        var m = Int.max
        for k in -4...4 {
            let at = t + k * 43_200
            m = min(m, Int(zone.offset(at: Int64(at) * 1_000_000) / 1_000_000))
        }
        if let tz = TimeZone(identifier: zone.name) {
            let d = Date(timeIntervalSince1970: Double(t))
            m = min(m, Int(zone.offset(at: Int64(t) * 1_000_000) / 1_000_000) - Int(tz.daylightSavingTimeOffset(for: d)))
            m = min(
                m,
                tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(DateutilZone.cutoff)))
                    - Int(tz.daylightSavingTimeOffset(for: Date(timeIntervalSince1970: Double(DateutilZone.cutoff))))
            )
        }
        return m
    }

    /// A rule of a set that would walk more than ~100,000 occurrences before `wall`: skipped as a
    /// single rule is (an exception such a rule raises further on may then surface one batch
    /// earlier or later than in the reference).
    static func heavy(_ rule: Rule, before wall: Int) -> Bool {
        let span = floorDiv(wall, 1_000_000) - rule.dtstart
        guard span > 0, rule.interval >= 1 else { return false }
        let perPeriod: Int
        let period: Int
        let times = rule.timeset?.count ?? 1
        switch rule.freq {
        case Freq.yearly: (period, perPeriod) = (31_536_000, 366 * times)
        case Freq.monthly: (period, perPeriod) = (2_592_000, 31 * times)
        case Freq.weekly: (period, perPeriod) = (604_800, 7 * times)
        case Freq.daily: (period, perPeriod) = (86_400, times)
        case Freq.hourly: (period, perPeriod) = (3_600, (rule.byminute?.count ?? 1) * (rule.bysecond?.count ?? 1))
        case Freq.minutely: (period, perPeriod) = (60, rule.bysecond?.count ?? 1)
        default: (period, perPeriod) = (1, 1)
        }
        let periods = span / max(1, period * min(rule.interval, 1 << 40))
        return periods > 100_000 || periods * perPeriod > 200_000
    }
}
