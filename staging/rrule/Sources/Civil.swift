/// Proleptic Gregorian calendar arithmetic on integers, as Python's `datetime` and `calendar` do it.
/// A naive date-time (a "wall" time) is seconds, or microseconds, counted from 1970-01-01T00:00
/// as if it were UTC.
enum Civil {
    static let secondsPerDay = 86_400
    /// Python's `datetime.MAXYEAR`.
    static let maxYear = 9999
    /// `date(1, 1, 1)` and `date(9999, 12, 31)` as days since 1970-01-01.
    static let minDay = -719_162
    static let maxDay = 2_932_896

    /// Days since 1970-01-01 of a date (Howard Hinnant's `days_from_civil`).
    static func days(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a count of days since 1970-01-01 (`civil_from_days`).
    static func date(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        m == 2 ? (isLeap(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }

    /// `date.weekday()` of a day count: Monday 0 ... Sunday 6.
    static func weekday(_ days: Int) -> Int { floorMod(days + 3, 7) }

    /// Python's `date.toordinal()` minus this is a day count since 1970-01-01.
    static let ordinalOffset = 719_163

    /// `datetime(year, month, day, ...)`'s checks on a date, with Python's messages.
    static func checkDate(_ year: Int, _ month: Int, _ day: Int) throws(PyError) {
        guard year >= 1, year <= maxYear else { throw .value("year \(year) is out of range") }
        guard month >= 1, month <= 12 else { throw .value("month must be in 1..12") }
        guard day >= 1, day <= daysInMonth(year, month) else { throw .value("day is out of range for month") }
    }

    /// Seconds of a naive date-time.
    static func seconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Int {
        days(year, month, day) * secondsPerDay + hour * 3600 + minute * 60 + second
    }
}
