/// dateutil's `rrule._iter`: a rule's occurrences (naive wall times, microseconds) in order,
/// one period (year, month, week, day, hour, minute or second) at a time, with the same
/// shortcuts, the same state and the same exceptions at the same points.
///
/// The reference walks every occurrence from DTSTART (2020-01-01 without one) to the start it
/// was asked about. This iterator can skip that walk (`skipBelow`): occurrences before a wall
/// time are counted, not produced, which is all the reference does with them. Daily and finer
/// rules jump over whole periods arithmetically (the periods are `dtstart + k × interval`, which
/// dateutil's shortcuts only skip through when they cannot match), counting the occurrences of
/// the periods skipped day by day (the count of a day depends only on its filters and the phase
/// of the periods in it, remembered per phase), so that COUNT, UNTIL and dateutil's errors on
/// the way (BYEASTER offsets past the end of a year) come out as if walked. Coarser rules walk
/// their periods, counting whole days of occurrences at a time.
///
/// Where dateutil walks long without producing anything, this stops as soon as nothing more can
/// come (a whole 400-year calendar cycle of periods without a candidate, or no day left before
/// 9999-12-31 that passes the filters), steps MINUTELY and SECONDLY rules through a table of the
/// next time of day dateutil's loop stops at (instead of up to 86,400 steps), and otherwise gives
/// up after a bounded amount of work (interval 0 or below, where dateutil can loop forever).
final class RuleIterator {
    let rule: Rule
    private var ii: IterInfo
    private var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, weekday = 0
    private var timeset: [Int] = []
    private var count: Int?
    private var started = false
    private(set) var finished = false
    private var budget: Int

    /// Occurrences below this wall time (microseconds) are counted in `skipped`, not produced.
    var skipBelow: Int?
    /// How many occurrences the reference would have produced that were skipped.
    private(set) var skipped = 0

    // The current period.
    private var inPeriod = false
    private var filtered = false
    private var list: [Int] = []  // bysetpos: wall seconds
    private var listIndex = 0
    private var days: [Int] = []  // days since 1970-01-01
    private var dayIndex = 0
    private var timeIndex = 0
    private var useList = false

    private let hourSet: [Bool]?  // by value 0..<24
    private let minuteSet: [Bool]?
    private let secondSet: [Bool]?
    private var htimesets: [Int: Result<[Int], PyError>] = [:]
    private var emptyPeriods = 0

    init(_ rule: Rule) {
        self.rule = rule
        ii = IterInfo(rule)
        count = rule.count
        func table(_ v: [Int]?, _ base: Int) -> [Bool]? { v.map { vs in (0..<base).map { vs.contains($0) } } }
        // Interval 0 repeats one period forever (the reference loops until 1,002 candidates at or
        // after the start, or forever when there are none); a negative interval walks back to
        // year 0 (or, with a day filter, can oscillate forever).
        budget = rule.interval > 0 ? 10_000_000 : rule.interval == 0 ? 20_000 : 3_000_000
        hourSet = table(rule.byhour, 24)
        minuteSet = table(rule.byminute, 60)
        secondSet = table(rule.bysecond, 60)
    }

    // MARK: - Iteration

    /// The next occurrence (wall microseconds), nil at the end, or the reference's exception.
    func next() throws(PyError) -> Int? {
        while true {
            if finished { return nil }
            if !started {
                started = true
                try begin()
                continue
            }
            if inPeriod {
                if let item = try nextInPeriod() { return item }
                if finished { return nil }
                inPeriod = false
                try advance()
                continue
            }
            try beginPeriod()
        }
    }

    private func spend(_ n: Int = 1) {
        budget -= n
        if budget < 0 { finished = true }  // beyond what the reference could finish: give up
    }

    private func begin() throws(PyError) {
        let days0 = floorDiv(rule.dtstart, Civil.secondsPerDay)
        (year, month, day) = Civil.date(days0)
        let s = rule.dtstart - days0 * Civil.secondsPerDay
        (hour, minute, second) = (s / 3600, s / 60 % 60, s % 60)
        weekday = Civil.weekday(days0)
        try ii.rebuild(year, month)
        try initialTimeset()
        if let w = skipBelow, rule.freq >= Freq.daily, jumpable() {
            try jump(below: w)
        }
    }

    /// The timeset of a period entered without dateutil's own stepping (the first, or one the
    /// skip lands on): empty when its hour, minute or second is filtered out.
    private func initialTimeset() throws(PyError) {
        let f = rule.freq
        if f < Freq.hourly {
            timeset = rule.timeset!
        } else if (rule.byhour != nil && !contains(rule.byhour!, hour))
            || (f >= Freq.minutely && rule.byminute != nil && !contains(rule.byminute!, minute))
            || (f >= Freq.secondly && rule.bysecond != nil && !contains(rule.bysecond!, second))
        {
            timeset = []
        } else {
            timeset = try getTimeset()
        }
    }

    @inline(__always) private func contains(_ values: [Int], _ v: Int) -> Bool { values.contains(v) }
    @inline(__always) private func inHours(_ h: Int) -> Bool { hourSet.map { $0[h] } ?? true }
    @inline(__always) private func inMinutes(_ m: Int) -> Bool { minuteSet.map { $0[m] } ?? true }
    @inline(__always) private func inSeconds(_ s: Int) -> Bool { secondSet.map { $0[s] } ?? true }

    /// `htimeset`, `mtimeset`, `stimeset`: seconds of the day.
    private func getTimeset() throws(PyError) -> [Int] {
        switch rule.freq {
        case Freq.hourly:
            if let cached = htimesets[hour] { return try cached.get() }
            var out: [Int] = []
            do {
                for m in rule.byminute! {
                    for s in rule.bysecond! { out.append(try Rule.time(hour, m, s)) }
                }
                out.sort()
                htimesets[hour] = .success(out)
                return out
            } catch {
                htimesets[hour] = .failure(error)
                throw error
            }
        case Freq.minutely:
            var out: [Int] = []
            for s in rule.bysecond! { out.append(try Rule.time(hour, minute, s)) }
            return out.sorted()
        default:
            return [try Rule.time(hour, minute, second)]
        }
    }

    /// The days of the current period (`getdayset`) that the filters keep, and whether any was
    /// dropped.
    private func beginPeriod() throws(PyError) {
        spend()
        if finished { return }
        let start: Int
        let end: Int
        switch rule.freq {
        case Freq.yearly:
            (start, end) = (0, ii.yearLen)
        case Freq.monthly:
            let r = ii.slice(month - 1, month + 1)
            guard r.count == 2 else { throw .value("not enough values to unpack (expected 2, got \(r.count))") }
            (start, end) = (r[0], r[1])
        case Freq.weekly:
            try Civil.checkDate(year, month, day)
            var i = Civil.days(year, month, day) - ii.yearDay0
            let s = i
            for _ in 0..<7 {
                i += 1
                if ii.weekdayOf(i) == rule.wkst { break }
            }
            (start, end) = (s, i)
        default:
            try Civil.checkDate(year, month, day)
            let i = Civil.days(year, month, day) - ii.yearDay0
            (start, end) = (i, i + 1)
        }
        days.removeAll(keepingCapacity: true)
        filtered = false
        for i in start..<end {
            if ii.keeps(i) {
                days.append(ii.yearDay0 + i)
            } else {
                filtered = true
            }
        }
        dayIndex = 0
        timeIndex = 0
        inPeriod = true
        useList = false
        if rule.bysetpos != nil && !timeset.isEmpty {
            useList = true
            list.removeAll(keepingCapacity: true)
            listIndex = 0
            let t = timeset.count
            var chosen = Set<Int>()
            for pos in rule.bysetpos! {
                let (daypos, timepos) = pos < 0 ? (floorDiv(pos, t), floorMod(pos, t)) : (floorDiv(pos - 1, t), floorMod(pos - 1, t))
                let di = daypos < 0 ? daypos + days.count : daypos
                guard di >= 0, di < days.count else { continue }
                let d = days[di]
                if d > Civil.maxDay { throw .value("year 10000 is out of range") }
                let w = d * Civil.secondsPerDay + timeset[timepos]
                if chosen.insert(w).inserted { list.append(w) }
            }
            list.sort()
        }
        if (useList ? list.isEmpty : days.isEmpty || timeset.isEmpty) && periodCount > 0 {
            emptyPeriods += 1
            if let cycle = cycleLength, emptyPeriods > cycle {
                // A whole cycle of the calendar without a candidate: none will come.
                finished = true
            } else if cycleLength == nil, emptyPeriods > (rule.byeaster != nil ? 2_000 : 20_000) {
                checkDead()
            }
        } else {
            emptyPeriods = 0
        }
        periodCount += 1
    }

    private var periodCount = 0

    /// The number of periods after which the calendar (400 Gregorian years: 4,800 months, 20,871
    /// weeks, 146,097 days) repeats itself along the rule's steps, for rules whose periods keep
    /// the same candidates each cycle (not BYEASTER, whose dates do not repeat in 400 years).
    private lazy var cycleLength: Int? = {
        let i = rule.interval
        guard i >= 1, i < PyText.huge, rule.byeaster == nil else { return nil }
        switch rule.freq {
        case Freq.yearly: return 400 / gcd(i, 400)
        case Freq.monthly: return 4800 / gcd(i, 4800)
        case Freq.weekly: return 20871 / gcd(i, 20871)
        case Freq.daily: return 146_097 / gcd(i, 146_097)
        default: return nil
        }
    }()

    /// The reference's checks on each candidate (`until`, `dtstart`, `count`), then the skip.
    @inline(__always) private func check(_ w: Int) -> Int? {
        let res = w * 1_000_000
        if let until = rule.until, res > until {
            finished = true
            return nil
        }
        if w < rule.dtstart { return nil }
        if count != nil {
            count! -= 1
            if count! < 0 {
                finished = true
                return nil
            }
        }
        if let s = skipBelow, res < s {
            skipped += 1
            return nil
        }
        return res
    }

    private func nextInPeriod() throws(PyError) -> Int? {
        if useList {
            while listIndex < list.count {
                let w = list[listIndex]
                listIndex += 1
                if let r = check(w) { return r }
                if finished { return nil }
            }
            return nil
        }
        while dayIndex < days.count {
            let d = days[dayIndex]
            if timeIndex == 0 {
                if d > Civil.maxDay { throw .value("year 10000 is out of range") }
                if let s = skipBelow, (d + 1) * Civil.secondsPerDay * 1_000_000 <= s {
                    countDay(d * Civil.secondsPerDay, timeset)
                    dayIndex += 1
                    if finished { return nil }
                    continue
                }
            }
            while timeIndex < timeset.count {
                let w = d * Civil.secondsPerDay + timeset[timeIndex]
                timeIndex += 1
                if let r = check(w) { return r }
                if finished { return nil }
            }
            timeIndex = 0
            dayIndex += 1
        }
        return nil
    }

    /// `check` on each of `base + offsets` (sorted), all of them below `skipBelow`, at once.
    private func countDay(_ base: Int, _ offsets: [Int]) {
        let t = offsets.count
        // Offsets before dtstart are dropped; the first beyond UNTIL ends the rule.
        let lo = partition(offsets) { base + $0 < rule.dtstart }
        var hi = t
        if let until = rule.until {
            hi = partition(offsets) { (base + $0) * 1_000_000 <= until }
        }
        let eligible = max(0, hi - lo)
        if let c = count {
            if eligible > c {
                skipped += c
                count = -1
                finished = true
                return
            }
            count = c - eligible
        }
        skipped += eligible
        if hi < t { finished = true }
    }

    /// How many leading elements of a sorted array satisfy a predicate that holds for a prefix.
    private func partition(_ a: [Int], _ p: (Int) -> Bool) -> Int {
        var lo = 0
        var hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if p(a[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    // MARK: - Advancing (frequency and interval)

    private func modDistance(_ value: Int, _ table: [Bool], _ base: Int) -> (Int, Int)? {
        var acc = 0
        var v = value
        for _ in 0..<base {
            let s = v + rule.interval
            acc += floorDiv(s, base)
            v = floorMod(s, base)
            if table[v] { return (acc, v) }
        }
        return nil
    }

    private static let notIterable = PyError(type: "TypeError", message: "cannot unpack non-iterable NoneType object")
    private static let zeroDivision = PyError(type: "ZeroDivisionError", message: "integer division or modulo by zero")

    private func advance() throws(PyError) {
        let interval = rule.interval
        var fixday = false
        switch rule.freq {
        case Freq.yearly:
            year += interval
            if year > Civil.maxYear {
                finished = true
                return
            }
            try ii.rebuild(year, month)
        case Freq.monthly:
            month += interval
            if month > 12 {
                let div = floorDiv(month, 12)
                month = floorMod(month, 12)
                year += div
                if month == 0 {
                    month = 12
                    year -= 1
                }
                if year > Civil.maxYear {
                    finished = true
                    return
                }
            }
            try ii.rebuild(year, month)
        case Freq.weekly:
            if rule.wkst > weekday {
                day += -(weekday + 1 + (6 - rule.wkst)) + interval * 7
            } else {
                day += -(weekday - rule.wkst) + interval * 7
            }
            weekday = rule.wkst
            fixday = true
        case Freq.daily:
            day += interval
            fixday = true
        case Freq.hourly:
            if filtered {
                guard interval != 0 else { throw Self.zeroDivision }
                hour += floorDiv(23 - hour, interval) * interval
            }
            let ndays: Int
            if let table = hourSet {
                guard let (n, h) = modDistance(hour, table, 24) else { throw Self.notIterable }
                (ndays, hour) = (n, h)
            } else {
                (ndays, hour) = (floorDiv(hour + interval, 24), floorMod(hour + interval, 24))
            }
            if ndays != 0 {
                day += ndays
                fixday = true
            }
            timeset = try getTimeset()
        case Freq.minutely:
            if filtered {
                guard interval != 0 else { throw Self.zeroDivision }
                minute += floorDiv(1439 - (hour * 60 + minute), interval) * interval
            }
            if let table = stepTable(1440) {
                // The loop below, at once: the next time of day it stops at.
                let t = hour * 60 + minute
                let total = t + Int(table[t]) * interval
                let div = floorDiv(total, 1440)
                (hour, minute) = (floorMod(total, 1440) / 60, floorMod(total, 60))
                if div != 0 {
                    day += div
                    fixday = true
                }
                timeset = try getTimeset()
                break
            }
            var valid = false
            let steps = 1440 / gcd(interval, 1440)
            for _ in 0..<steps {
                let nhours: Int
                if let table = minuteSet {
                    guard let (n, m) = modDistance(minute, table, 60) else { throw Self.notIterable }
                    (nhours, minute) = (n, m)
                } else {
                    (nhours, minute) = (floorDiv(minute + interval, 60), floorMod(minute + interval, 60))
                }
                let div = floorDiv(hour + nhours, 24)
                hour = floorMod(hour + nhours, 24)
                if div != 0 {
                    day += div
                    fixday = true
                    filtered = false
                }
                if inHours(hour) {
                    valid = true
                    break
                }
            }
            spend(steps / 64)
            if !valid { throw .value("Invalid combination of interval and byhour resulting in empty rule.") }
            timeset = try getTimeset()
        default:
            if filtered {
                guard interval != 0 else { throw Self.zeroDivision }
                second += floorDiv(86399 - (hour * 3600 + minute * 60 + second), interval) * interval
            }
            if let table = stepTable(86_400) {
                let t = hour * 3600 + minute * 60 + second
                let total = t + Int(table[t]) * interval
                let div = floorDiv(total, 86_400)
                let r = floorMod(total, 86_400)
                (hour, minute, second) = (r / 3600, r / 60 % 60, r % 60)
                if div != 0 {
                    day += div
                    fixday = true
                }
                timeset = try getTimeset()
                break
            }
            var valid = false
            let steps = 86400 / gcd(interval, 86400)
            var done = 0
            for _ in 0..<steps {
                done += 1
                let nminutes: Int
                if let table = secondSet {
                    guard let (n, s) = modDistance(second, table, 60) else { throw Self.notIterable }
                    (nminutes, second) = (n, s)
                } else {
                    (nminutes, second) = (floorDiv(second + interval, 60), floorMod(second + interval, 60))
                }
                var div = floorDiv(minute + nminutes, 60)
                minute = floorMod(minute + nminutes, 60)
                if div != 0 {
                    hour += div
                    div = floorDiv(hour, 24)
                    hour = floorMod(hour, 24)
                    if div != 0 {
                        day += div
                        fixday = true
                    }
                }
                if inHours(hour) && inMinutes(minute) && inSeconds(second) {
                    valid = true
                    break
                }
            }
            spend(done / 64)
            if !valid { throw .value("Invalid combination of interval, byhour and byminute resulting in empty rule.") }
            timeset = try getTimeset()
        }
        if fixday && day > 28 {
            let dim = Civil.daysInMonth(year, month)
            if day > dim {
                // dateutil subtracts month lengths one month at a time; the same date at once.
                let target = Civil.days(year, month, 1) + day - 1
                if target > Civil.maxDay {
                    finished = true
                    return
                }
                (year, month, day) = Civil.date(target)
                try ii.rebuild(year, month)
            }
        }
    }

    /// Thousands of periods without a candidate: when no day from here to 9999-12-31 passes the
    /// day filters, the reference walks on to year 9999 and stops; stop now. (With BYEASTER only
    /// the Easter days of each year can pass; other rules coarser than daily repeat within a
    /// calendar cycle, see `cycleLength`.)
    private func checkDead() {
        emptyPeriods = -1_000_000_000
        var probe = IterInfo(rule)
        if rule.byeaster != nil {
            guard rule.bynweekday == nil else { return }
            for y in year...Civil.maxYear {
                guard (try? probe.rebuild(y, 1)) != nil, let mask = probe.eastermask else { return }
                for i in mask.indices where mask[i] && probe.keeps(i) { return }
            }
            finished = true
            return
        }
        guard rule.freq >= Freq.daily else { return }
        var d = Civil.days(year, 1, 1)
        var y = year
        while d <= Civil.maxDay {
            if probe.lastYear != y {
                guard (try? probe.rebuild(y, 1)) != nil else { return }
            }
            let end = min(Civil.maxDay, probe.yearDay0 + probe.yearLen - 1)
            while d <= end {
                if probe.keeps(d - probe.yearDay0) { return }
                d += 1
            }
            y += 1
        }
        finished = true
    }

    // MARK: - Stepping tables (minutely and secondly)

    private var steps: [Int32]?
    private var stepsTried = false

    /// For MINUTELY (1,440 times of day) and SECONDLY (86,400): how many intervals from each
    /// time of day (in the class the rule's times step through) to the next one dateutil's
    /// stepping loop stops at (its hour, minute and second kept). Built when the rule filters
    /// times and that loop cannot fail (`jumpable`); dateutil's loop takes up to a day of steps
    /// per occurrence.
    private func stepTable(_ cycle: Int) -> [Int32]? {
        if stepsTried { return steps }
        stepsTried = true
        let f = rule.freq
        let filters =
            f == Freq.minutely ? (rule.byhour != nil || rule.byminute != nil) : (rule.byhour != nil || rule.byminute != nil || rule.bysecond != nil)
        guard filters, jumpable() else { return nil }
        let interval = rule.interval
        func valid(_ t: Int) -> Bool {
            f == Freq.minutely ? inHours(t / 60) && inMinutes(t % 60) : inHours(t / 3600) && inMinutes(t / 60 % 60) && inSeconds(t % 60)
        }
        let g = gcd(interval, cycle)
        let length = cycle / g
        let t0 = f == Freq.minutely ? hour * 60 + minute : hour * 3600 + minute * 60 + second
        // A time the loop stops at, in t0's class.
        var v = floorMod(t0, g)
        var found = false
        for _ in 0..<length {
            if valid(v) {
                found = true
                break
            }
            v = (v + interval) % cycle
        }
        guard found else { return nil }
        var table = [Int32](repeating: 0, count: cycle)
        var cur = v
        var distance: Int32 = 0
        for _ in 0..<length {
            let prev = floorMod(cur - interval, cycle)
            distance += 1
            table[prev] = distance
            if valid(prev) { distance = 0 }
            cur = prev
        }
        steps = table
        return table
    }

    // MARK: - Jumping over periods (daily and finer)

    /// The length of a period of this frequency, seconds.
    private var unit: Int {
        switch rule.freq {
        case Freq.daily: 86_400
        case Freq.hourly: 3_600
        case Freq.minutely: 60
        default: 1
        }
    }

    /// Whether dateutil's stepping is `dtstart + k × interval` filtered, without its errors: a
    /// positive interval, valid times, and some time of day the stepping can reach.
    private func jumpable() -> Bool {
        let interval = rule.interval
        guard interval >= 1, interval < PyText.huge else { return false }
        let f = rule.freq
        if f == Freq.daily { return true }
        func anyInRange(_ values: [Int]?, _ base: Int) -> Bool { values.map { $0.contains { $0 >= 0 && $0 < base } } ?? true }
        func allInRange(_ values: [Int]?, _ base: Int) -> Bool { values.map { $0.allSatisfy { $0 >= 0 && $0 < base } } ?? true }
        switch f {
        case Freq.hourly:
            guard anyInRange(rule.byhour, 24), allInRange(rule.byminute, 60), allInRange(rule.bysecond, 60) else { return false }
        case Freq.minutely:
            guard anyInRange(rule.byminute, 60), allInRange(rule.bysecond, 60) else { return false }
            let g = gcd(interval, 1440)
            let start = floorMod(hour * 60 + minute, g)
            guard stride(from: start, to: 1440, by: g).contains(where: { inHours($0 / 60) && inMinutes($0 % 60) }) else { return false }
        default:
            guard anyInRange(rule.bysecond, 60) else { return false }
            let g = gcd(interval, 86400)
            let start = floorMod(hour * 3600 + minute * 60 + second, g)
            guard stride(from: start, to: 86400, by: g).contains(where: { inHours($0 / 3600) && inMinutes($0 / 60 % 60) && inSeconds($0 % 60) })
            else { return false }
        }
        return true
    }

    /// Whether the period starting at `base` (wall seconds) has a time of day dateutil stops at.
    @inline(__always) private func todValid(_ base: Int) -> Bool {
        switch rule.freq {
        case Freq.daily: return true
        case Freq.hourly: return inHours(floorMod(base, 86_400) / 3600)
        case Freq.minutely:
            let t = floorMod(base, 86_400)
            return inHours(t / 3600) && inMinutes(t / 60 % 60)
        default:
            let t = floorMod(base, 86_400)
            return inHours(t / 3600) && inMinutes(t / 60 % 60) && inSeconds(t % 60)
        }
    }

    /// The occurrences of a kept period, as offsets from its start (after BYSETPOS).
    private func periodOffsets() throws(PyError) -> [Int] {
        let f = rule.freq
        var times: [Int]
        switch f {
        case Freq.daily: times = rule.timeset!
        case Freq.hourly:
            times = []
            for m in rule.byminute! { for s in rule.bysecond! { times.append(m * 60 + s) } }
            times.sort()
        case Freq.minutely: times = rule.bysecond!.sorted()
        default: times = [0]
        }
        guard let positions = rule.bysetpos, !times.isEmpty else { return times }
        let t = times.count
        var chosen = Set<Int>()
        for pos in positions {
            let (daypos, timepos) = pos < 0 ? (floorDiv(pos, t), floorMod(pos, t)) : (floorDiv(pos - 1, t), floorMod(pos - 1, t))
            if daypos == 0 || daypos == -1 { chosen.insert(times[timepos]) }
        }
        return chosen.sorted()
    }

    /// Jumps to the last period starting at or before `below` (wall microseconds), counting the
    /// occurrences of the periods passed over as `check` would.
    private func jump(below: Int) throws(PyError) {
        let step = rule.interval * unit
        let p0 = floorDiv(rule.dtstart, unit) * unit
        let target = floorDiv(below, 1_000_000)
        let k = floorDiv(target - p0, step)
        guard k > 0 else { return }
        let offsets = try periodOffsets()
        let firstDay = floorDiv(p0, 86_400)
        let lastDay = floorDiv(p0 + (k - 1) * step, 86_400)
        var counted = IterInfo(rule)
        var keptYear: Int?
        /// Builds the tables of a visited day's year (dateutil rebuilds them on its way).
        func keeps(_ d: Int) throws(PyError) -> Bool {
            let (y, _, _) = Civil.date(d)
            if keptYear != y {
                try counted.rebuild(y, 1)
                keptYear = y
            }
            return counted.keeps(d - counted.yearDay0)
        }
        /// One period, item by item.
        func slow(_ base: Int) {
            for off in offsets {
                _ = check(base + off)
                if finished { return }
            }
        }
        if rule.freq == Freq.daily {
            var kk = 0
            while kk < k {
                let base = p0 + kk * step
                let d = floorDiv(base, 86_400)
                spend()
                if finished { return }
                if try keeps(d) {
                    let bulk =
                        kk > 0 && (rule.until.map { (base + 86_400) * 1_000_000 <= $0 } ?? true)
                        && (count.map { $0 >= offsets.count } ?? true)
                    if bulk {
                        skipped += offsets.count
                        if count != nil { count! -= offsets.count }
                    } else {
                        slow(base)
                        if finished { return }
                    }
                }
                kk += 1
            }
        } else {
            // Periods in day d: k from ceil((d·86400 - p0) / step) while below (d+1)·86400 and k.
            var memo: [Int: Int] = [:]
            var d = firstDay
            while d <= lastDay {
                spend()
                if finished { return }
                let dayStart = d * 86_400
                let kLo = max(0, -floorDiv(p0 - dayStart, step))
                let kHi = min(k - 1, floorDiv(dayStart + 86_399 - p0, step))
                if kLo > kHi {
                    d += 1
                    continue
                }
                let full = d != firstDay && d != lastDay
                let untilOK = rule.until.map { (dayStart + 86_400) * 1_000_000 <= $0 } ?? true
                if full && untilOK {
                    let r = p0 + kLo * step - dayStart
                    let n: Int
                    if let m = memo[r] {
                        n = m
                    } else {
                        var c = 0
                        var t = r
                        while t < 86_400 {
                            if todValid(dayStart + t) { c += 1 }
                            t += step
                        }
                        memo[r] = c
                        n = c
                        spend(c / 1000)
                    }
                    if n > 0, try keeps(d) {
                        let items = n * offsets.count
                        if count.map({ $0 >= items }) ?? true {
                            skipped += items
                            if count != nil { count! -= items }
                            d += 1
                            continue
                        }
                    } else {
                        d += 1
                        continue
                    }
                }
                // Item by item.
                var kk = kLo
                while kk <= kHi {
                    let base = p0 + kk * step
                    if todValid(base), try keeps(d) {
                        slow(base)
                        if finished { return }
                    }
                    kk += 1
                }
                d += 1
            }
        }
        // Land on period k, as if dateutil had stepped there.
        let base = p0 + k * step
        let dd = floorDiv(base, 86_400)
        (year, month, day) = Civil.date(dd)
        let t = base - dd * 86_400
        switch rule.freq {
        case Freq.daily: break
        case Freq.hourly: hour = t / 3600
        case Freq.minutely: (hour, minute) = (t / 3600, t / 60 % 60)
        default: (hour, minute, second) = (t / 3600, t / 60 % 60, t % 60)
        }
        if year > Civil.maxYear {
            finished = true
            return
        }
        try ii.rebuild(year, month)
        try initialTimeset()
    }
}
