/// dateutil's `_iterinfo`: the tables of one year (and month) that decide which days a rule keeps.
/// Day indices count from January 1; every table runs 7 days into the next year (weekly periods
/// cross years).
struct IterInfo {
    let rule: Rule
    private(set) var lastYear: Int?
    private(set) var lastMonth: Int?
    private(set) var yearLen = 0
    private(set) var nextYearLen = 0
    /// January 1 as days since 1970-01-01 (`yearordinal`).
    private(set) var yearDay0 = 0
    private(set) var yearWeekday = 0
    private(set) var leap = false
    private(set) var mrange: [Int] = []
    private(set) var wnomask: [Bool]?
    private(set) var nwdaymask: [Bool]?
    private(set) var eastermask: [Bool]?

    // Lookup tables of the rule's filters.
    private let monthAllowed: [Bool]?
    private let weekdayAllowed: [Bool]?
    private let monthdayAllowed: [Bool]  // index d for day d (1...31)
    private let nmonthdayAllowed: [Bool]  // index -d for day d (-31...-1)
    private let hasMonthday: Bool
    private let yeardays: Set<Int>?

    init(_ rule: Rule) {
        self.rule = rule
        monthAllowed = rule.bymonth.map { ms in (0...12).map { ms.contains($0) } }
        weekdayAllowed = rule.byweekday.map { ws in (0..<7).map { ws.contains($0) } }
        monthdayAllowed = (0...31).map { rule.bymonthday.contains($0) }
        nmonthdayAllowed = (0...31).map { rule.bynmonthday.contains(-$0) }
        hasMonthday = !rule.bymonthday.isEmpty || !rule.bynmonthday.isEmpty
        yeardays = rule.byyearday.map(Set.init)
    }

    // MARK: - Static masks (M366MASK, MDAY366MASK, NMDAY366MASK and their 365-day forms)

    static let monthMask366: [Int8] = build { m, _, _ in m }
    static let monthMask365: [Int8] = drop(monthMask366, 59)
    static let mdayMask366: [Int8] = build { _, d, _ in d }
    static let mdayMask365: [Int8] = drop(mdayMask366, 59)
    static let nmdayMask366: [Int8] = build { _, d, len in d - len - 1 }
    static let nmdayMask365: [Int8] = drop(nmdayMask366, 31)
    static let range366 = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366]
    static let range365 = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]

    private static func build(_ f: (Int8, Int8, Int8) -> Int8) -> [Int8] {
        let lengths: [Int8] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var out: [Int8] = []
        for (m, len) in lengths.enumerated() {
            for d in 1...len { out.append(f(Int8(m + 1), d, len)) }
        }
        for d in Int8(1)...7 { out.append(f(1, d, 31)) }
        return out
    }

    private static func drop(_ a: [Int8], _ i: Int) -> [Int8] {
        var b = a
        b.remove(at: i)
        return b
    }

    func month(_ i: Int) -> Int { Int((leap ? Self.monthMask366 : Self.monthMask365)[i]) }
    func mday(_ i: Int) -> Int { Int((leap ? Self.mdayMask366 : Self.mdayMask365)[i]) }
    func nmday(_ i: Int) -> Int { Int((leap ? Self.nmdayMask366 : Self.nmdayMask365)[i]) }

    /// `wdaymask[i]` (`WDAYMASK[wday:]`, 385 - wday long) with Python's indexing.
    func wday(_ i: Int) throws(PyError) -> Int {
        let length = 385 - yearWeekday
        var j = i
        if j < 0 { j += length }
        guard j >= 0, j < length else { throw .index() }
        return (yearWeekday + j) % 7
    }

    /// Weekday of a day index known to be in range.
    @inline(__always) func weekdayOf(_ i: Int) -> Int { (yearWeekday + i) % 7 }

    /// `mrange[a:b]` with Python's slicing.
    func slice(_ a: Int, _ b: Int) -> [Int] { Self.pySlice(mrange, a, b) }

    static func pySlice(_ list: [Int], _ a: Int, _ b: Int) -> [Int] {
        let n = list.count
        func norm(_ x: Int) -> Int { x < 0 ? max(0, x + n) : min(x, n) }
        let (s, e) = (norm(a), norm(b))
        return s < e ? Array(list[s..<e]) : []
    }

    // MARK: - rebuild

    mutating func rebuild(_ year: Int, _ monthIn: Int) throws(PyError) {
        var month = monthIn
        if year != lastYear {
            guard year >= 1, year <= Civil.maxYear else { throw .value("year \(year) is out of range") }
            leap = Civil.isLeap(year)
            yearLen = leap ? 366 : 365
            nextYearLen = Civil.isLeap(year + 1) ? 366 : 365
            yearDay0 = Civil.days(year, 1, 1)
            yearWeekday = Civil.weekday(yearDay0)
            mrange = leap ? Self.range366 : Self.range365
            if let weeks = rule.byweekno {
                wnomask = try weekNumberMask(year, weeks)
            } else {
                wnomask = nil
            }
        }
        if let nth = rule.bynweekday, month != lastMonth || year != lastYear {
            var ranges: [[Int]] = []
            if rule.freq == Freq.yearly {
                if let months = rule.bymonth {
                    for m in months {
                        ranges.append(slice(m - 1, m + 1))
                        month = m  // Python's loop variable shadows `month`
                    }
                } else {
                    ranges = [[0, yearLen]]
                }
            } else if rule.freq == Freq.monthly {
                ranges = [slice(month - 1, month + 1)]
            }
            if !ranges.isEmpty {
                var mask = [Bool](repeating: false, count: yearLen)
                for r in ranges {
                    guard r.count == 2 else { throw .value("not enough values to unpack (expected 2, got \(r.count))") }
                    let first = r[0]
                    let last = r[1] - 1
                    for (wd, n) in nth {
                        var i: Int
                        if n < 0 {
                            i = last + (n + 1) * 7
                            i -= floorMod(try wday(i) - wd, 7)
                        } else {
                            i = first + (n - 1) * 7
                            i += floorMod(7 - (try wday(i)) + wd, 7)
                        }
                        if first <= i && i <= last { mask[i] = true }
                    }
                }
                nwdaymask = mask
            }
        }
        if let offsets = rule.byeaster {
            var mask = [Bool](repeating: false, count: yearLen + 7)
            let eyday = Self.easter(year) - yearDay0
            for off in offsets {
                var i = eyday + off
                if i < 0 { i += mask.count }
                guard i >= 0, i < mask.count else { throw .index("list assignment index out of range") }
                mask[i] = true
            }
            eastermask = mask
        }
        lastYear = year
        lastMonth = month
    }

    private func weekNumberMask(_ year: Int, _ weeks: [Int]) throws(PyError) -> [Bool] {
        let wkst = rule.wkst
        var mask = [Bool](repeating: false, count: yearLen + 7)
        func set(_ i: Int) throws(PyError) {
            guard i >= -mask.count, i < mask.count else { throw .index("list assignment index out of range") }
            mask[i < 0 ? i + mask.count : i] = true
        }
        let firstwkst = floorMod(7 - yearWeekday + wkst, 7)
        var no1wkst = firstwkst
        let wyearlen: Int
        if no1wkst >= 4 {
            no1wkst = 0
            wyearlen = yearLen + floorMod(yearWeekday - wkst, 7)
        } else {
            wyearlen = yearLen - no1wkst
        }
        let numweeks = floorDiv(wyearlen, 7) + floorMod(wyearlen, 7) / 4
        for n0 in weeks {
            var n = n0
            if n < 0 { n += numweeks + 1 }
            if !(0 < n && n <= numweeks) { continue }
            var i: Int
            if n > 1 {
                i = no1wkst + (n - 1) * 7
                if no1wkst != firstwkst { i -= 7 - firstwkst }
            } else {
                i = no1wkst
            }
            for _ in 0..<7 {
                try set(i)
                i += 1
                if try wday(i) == wkst { break }
            }
        }
        if weeks.contains(1) {
            var i = no1wkst + numweeks * 7
            if no1wkst != firstwkst { i -= 7 - firstwkst }
            if i < yearLen {
                for _ in 0..<7 {
                    try set(i)
                    i += 1
                    if try wday(i) == wkst { break }
                }
            }
        }
        if no1wkst != 0 {
            let lnumweeks: Int
            if !weeks.contains(-1) {
                guard year - 1 >= 1 else { throw .value("year \(year - 1) is out of range") }
                let lyearweekday = Civil.weekday(Civil.days(year - 1, 1, 1))
                var lno1wkst = floorMod(7 - lyearweekday + wkst, 7)
                let lyearlen = Civil.isLeap(year - 1) ? 366 : 365
                if lno1wkst >= 4 {
                    lno1wkst = 0
                    lnumweeks = 52 + floorMod(lyearlen + floorMod(lyearweekday - wkst, 7), 7) / 4
                } else {
                    lnumweeks = 52 + floorMod(yearLen - no1wkst, 7) / 4
                }
            } else {
                lnumweeks = -1
            }
            if weeks.contains(lnumweeks) {
                for i in 0..<no1wkst { mask[i] = true }
            }
        }
        return mask
    }

    /// dateutil's `easter(year)` (method 3, Western): days since 1970-01-01.
    static func easter(_ y: Int) -> Int {
        let g = y % 19
        let c = y / 100
        let h = (c - c / 4 - (8 * c + 13) / 25 + 19 * g + 15) % 30
        let i = h - (h / 28) * (1 - (h / 28) * (29 / (h + 1)) * ((21 - g) / 11))
        let j = (y + y / 4 + i + 2 - c + c / 4) % 7
        let p = i - j
        let d = 1 + floorMod(p + 27 + floorDiv(p + 6, 40), 31)
        let m = 3 + floorDiv(p + 26, 30)
        return Civil.days(y, m, d)
    }

    // MARK: - The day filter

    /// Whether the rule keeps day `i` of the year (the test `_iter` applies to each day of a period).
    func keeps(_ i: Int) -> Bool {
        if let allowed = monthAllowed, !allowed[month(i)] { return false }
        if let w = wnomask, !w[i] { return false }
        if let allowed = weekdayAllowed, !allowed[weekdayOf(i)] { return false }
        if let n = nwdaymask, !n[i] { return false }
        if let e = eastermask, !e[i] { return false }
        if hasMonthday, !monthdayAllowed[mday(i)], !nmonthdayAllowed[-nmday(i)] { return false }
        if let yd = yeardays {
            if i < yearLen {
                if !yd.contains(i + 1) && !yd.contains(-yearLen + i) { return false }
            } else {
                if !yd.contains(i + 1 - yearLen) && !yd.contains(-nextYearLen + i - yearLen) { return false }
            }
        }
        return true
    }
}
