/// Why a cron string is refused: the reference's `validate_cron_string` messages.
public enum CronError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `Invalid cron string: "<cron>"`: croniter's `is_valid` answers False.
    case invalid(String)
    /// `Random and Hashed expressions are unsupported, received: "<cron>"`: croniter accepts the
    /// string, but one of its fields is exactly `R`, `r`, `H` or `h`.
    case randomOrHashed(String)

    /// The reference's message.
    public var message: String {
        switch self {
        case .invalid(let cron): "Invalid cron string: \"\(cron)\""
        case .randomOrHashed(let cron): "Random and Hashed expressions are unsupported, received: \"\(cron)\""
        }
    }

    public var description: String { message }
}

/// A cron schedule: the reference's `CronSchedule` (prefect==3.9.1 on Python 3.11, whose
/// `get_dates` runs `_get_dates_whenever` over the vendored croniter).
///
/// The cron string is what croniter reads: 5 fields (minute hour day-of-month month day-of-week),
/// 6 (plus seconds, last) or 7 (plus seconds and year, 1970-2099); the aliases `@midnight`,
/// `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`, `@annually` (the whole string, any case);
/// lists, ranges (`a-b`, wrapping when `a > b`: `sat-mon`), steps (`*/n`, `a-b/n`, `a/n` = `a-max/n`),
/// month and weekday names (any case), `?` for a whole day field, `L` (last day of the month) in
/// the day-of-month field, `<weekday>#<1-5>` and `L<weekday>` (last such weekday) in the weekday
/// field. croniter's quirks are kept, deliberately:
/// - `a-a` means the whole field (`5-5 * * * *` is every minute);
/// - weekday 7 is Sunday only with 5 fields; day 0 is day 1 only with 6 fields;
/// - with `dayOr` and both day fields restricted, a date matches either field, but `#`/`L`
///   weekdays also bind the day-of-month half (so `0 0 15 * 1#2` finds nothing); a full list
///   (`1-31`) counts as restricted when the other day field's text has no `*`;
/// - croniter looks at most 50 years ahead of each date (later years never match);
/// - `R` fields (`R/5`, `R(0-10)`) draw a random value: at validation, and again each time dates
///   are computed (each croniter the reference builds), exactly as often as the reference does,
///   so such a schedule's dates vary between calls. A bare `R` is refused, as is every `H` form.
///
/// Dates are the reference's: cron matches wall clock times in the zone. A wall time that a
/// daylight saving change repeats fires once, at its first occurrence; a wall time it skips
/// fires at the same distance past the change (02:30 on a spring-forward night is 03:30), once
/// even when 03:30 also matches; a start inside the repeated hour skips to its end, and a start
/// just after a skip still sees the skipped times that land at or after it.
public struct CronSchedule: Sendable, Equatable {
    /// The cron string, as given.
    public let cron: String
    /// The time zone (UTC when the schedule has none).
    public let zone: Zone
    /// Whether day-of-month and day-of-week are combined with OR (cron) rather than AND (fcron).
    public let dayOr: Bool
    /// The expansion, or nil when it is random (then each use draws its own).
    private let expression: CronExpression?

    /// The reference's cap on candidate dates examined per call (`MAX_ITERATIONS`).
    public static let maxIterations = 1000

    /// Validates the cron string as the reference's `validate_cron_string` does.
    public init(cron: String, zone: Zone? = nil, dayOr: Bool = true) throws(CronError) {
        var random = SystemRandomNumberGenerator()
        let expression: CronExpression
        do {
            expression = try CronExpression.expand(cron, using: &random)
        } catch {
            throw .invalid(cron)
        }
        // Prefect's check: a field that casefolds to exactly "r" or "h".
        if PyText.split(Array(cron.unicodeScalars)).contains(where: { $0.count == 1 && "RrHh".unicodeScalars.contains($0[0]) }) {
            throw .randomOrHashed(cron)
        }
        self.cron = cron
        self.zone = zone ?? Zone("UTC")!
        self.dayOr = dayOr
        self.expression = expression.isRandom ? nil : expression
    }

    public static func == (a: CronSchedule, b: CronSchedule) -> Bool {
        a.cron == b.cron && a.zone == b.zone && a.dayOr == b.dayOr
    }

    /// croniter for this schedule from a wall time (nil where building it raises, which only a
    /// random field's new draw can make it do).
    private func iterator(from wall: Int64) -> CronIterator? {
        var random = SystemRandomNumberGenerator()
        guard let expression = expression ?? (try? CronExpression.expand(cron, using: &random)) else { return nil }
        return CronIterator(expression: expression, dayOr: dayOr, current: wall)
    }

    /// The instant of a wall time as the reference localizes it (`fold=0` through `whenever`):
    /// a repeated time at its first occurrence, a skipped one with the offset before the change
    /// (moved forward by the gap).
    private func instant(wall: Int64) -> Int64 {
        let day: Int64 = 86_400_000_000
        let before = zone.offset(at: wall - day)
        let after = zone.offset(at: wall + day)
        let valid = [before, after].filter { zone.offset(at: wall - $0) == $0 }
        if valid.count == 2 { return min(wall - before, wall - after) }
        if let only = valid.first { return wall - only }
        return wall - before
    }

    /// The last change of offset strictly before `limit` and within two days of it (whenever's
    /// `prev_transition`, as far as it matters: no offset change spans more than a day).
    private func lastTransition(before limit: Int64) -> Int64? {
        var cursor = limit - 2 * 86_400_000_000
        var last: Int64?
        while let next = zone.nextTransition(after: cursor), next < limit {
            if zone.offset(at: next) != zone.offset(at: next - 1_000_000) { last = next }
            cursor = next
        }
        return last
    }

    /// Up to `n` dates (instants, microseconds) from `start` (inclusive) to `end` (inclusive), in
    /// order: the reference's `get_dates`. Without `n`: up to 1,000 with an `end`, else one. At
    /// most 1,002 candidate times are examined; with `n` below 1 only the first candidate is (the
    /// reference's count check runs after every candidate). Where the reference raises (croniter finds no match within 50 years
    /// of a date, or passes year 9999, before `n` or `end` is reached), returns no dates.
    public func dates(n: Int? = nil, start: Int64, end: Int64? = nil) -> [Int64] {
        let n = n ?? (end == nil ? 1 : Self.maxIterations)
        let second: Int64 = 1_000_000
        // croniter steps from the wall clock one second before start (start itself, when it
        // has microseconds: croniter drops them, and the minute after is the first candidate).
        var startNaive = zone.wall(start) - second
        if floorMod(start, second) > 0 { startNaive += second }

        var lookbackFrom: Int64?
        var gapEnd: Int64 = 0
        if let transition = lastTransition(before: start + second) {
            let gap = zone.offset(at: transition) - zone.offset(at: transition - second)
            let since = start - transition
            if gap < 0, since >= 0, since < -gap {
                // Start in the repeated hour: its wall times already fired; skip to its end.
                startNaive = zone.wall(transition) - gap - second
            }
            if gap > 0, since >= 0, since < gap {
                // Start just after a skip: skipped wall times landing at or after start.
                lookbackFrom = startNaive - gap
                gapEnd = zone.wall(transition)
            }
        }

        guard var main = iterator(from: startNaive) else { return [] }
        var lookback: CronIterator?
        if let lookbackFrom {
            guard let it = iterator(from: lookbackFrom) else { return [] }
            lookback = it
        }

        // The candidates: main's, merged by instant with lookback's while below gapEnd (ties:
        // lookback first), each pulled only when needed, as Python's lazy iterators are.
        struct Failure: Error {}
        var mainHead: Int64?
        var lookHead: Int64?
        var started = false
        var refillMain = false
        var refillLook = false
        func pullMain() throws(Failure) -> Int64 {
            guard let wall = main.next() else { throw Failure() }
            return instant(wall: wall)
        }
        func pullLook() throws(Failure) -> Int64? {
            guard lookback != nil else { return nil }
            guard let wall = lookback!.next() else { throw Failure() }
            if wall >= gapEnd {
                lookback = nil
                return nil
            }
            return instant(wall: wall)
        }
        func candidate() throws(Failure) -> Int64 {
            if !started {
                started = true
                lookHead = try pullLook()
                mainHead = try pullMain()
            } else if refillLook {
                lookHead = try pullLook()
            } else if refillMain {
                mainHead = try pullMain()
            }
            if let look = lookHead, look <= mainHead! {
                (refillLook, refillMain) = (true, false)
                return look
            }
            (refillLook, refillMain) = (false, true)
            return mainHead!
        }

        var seen = Set<Int64>()
        var dates: [Int64] = []
        do {
            for _ in 0..<(Self.maxIterations + 2) {
                let next = try candidate()
                if let end, next > end { break }
                if next >= start, seen.insert(next).inserted { dates.append(next) }
                if seen.count >= n { break }
            }
        } catch {
            return []
        }
        return dates.sorted()
    }
}
