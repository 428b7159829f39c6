import Foundation

/// Local time in an IANA time zone, as Python's `zoneinfo` and pendulum compute it: the wall clock
/// of an instant, and the instant of a wall clock time (which a daylight saving change can make
/// ambiguous or skip). Times are microseconds; a wall clock time is counted as if it were UTC.
/// The zone rules come from the ICU data inside Foundation (not the system's tzdata, which the
/// reference reads through Python's `zoneinfo`): the two agree wherever the rules have not changed
/// between their releases.
public struct Zone: Sendable, Equatable {
    /// The IANA name (`America/New_York`, `UTC`).
    public let name: String
    private let timeZone: TimeZone

    /// The zone of an IANA name, or nil when the system's time zone database does not know it.
    public init?(_ name: String) {
        guard let timeZone = TimeZone(identifier: name) else { return nil }
        self.name = name
        self.timeZone = timeZone
    }

    public static func == (a: Zone, b: Zone) -> Bool { a.name == b.name }

    /// The UTC offset at an instant, in microseconds.
    public func offset(at instant: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(floorDiv(instant, 1_000_000))))) * 1_000_000
    }

    /// The wall clock time of an instant.
    public func wall(_ instant: Int64) -> Int64 { instant + offset(at: instant) }

    /// The instant a naive wall time resolves to in pendulum's `create` (fold 1, and a skipped
    /// time moved forward by the gap): the later of two, the offset before the change in a gap.
    public func pendulumInstant(wall: Int64) -> Int64 {
        let before = offset(at: wall - 86_400_000_000)
        let after = offset(at: wall + 86_400_000_000)
        let valid = [before, after].filter { offset(at: wall - $0) == $0 }
        if valid.count == 2, before != after { return max(wall - before, wall - after) }
        if let only = valid.first { return wall - only }
        // A skipped time: shifted forward by the gap, it reads with the offset after, which is
        // the instant the offset before gives.
        return wall - before
    }

    /// The next change of offset strictly after an instant, if the zone has one.
    public func nextTransition(after instant: Int64) -> Int64? {
        let date = Date(timeIntervalSince1970: Double(floorDiv(instant, 1_000_000)))
        guard let next = timeZone.nextDaylightSavingTimeTransition(after: date) else { return nil }
        return Int64(next.timeIntervalSince1970) * 1_000_000
    }
}

/// Floor division (Swift's `/` truncates toward zero).
@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
