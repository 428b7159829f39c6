/// An interval schedule: `anchor_date` plus whole multiples of `interval`, in a time zone.
///
/// The dates are the reference's (`IntervalSchedule._get_dates_generator` on Python before 3.13,
/// where it computes with pendulum): an interval of whole days keeps the local clock time across
/// daylight saving changes (days are added to the wall clock), any other interval is exact
/// elapsed time; comparisons between dates of the schedule compare wall clock times, as Python
/// compares datetimes that share a time zone.
public struct IntervalSchedule: Sendable, Equatable {
    /// The interval in microseconds (> 0).
    public var interval: Int64
    /// The anchor instant, in microseconds.
    public var anchor: Int64
    public var zone: Zone

    /// The reference's cap on candidate dates examined per call.
    public static let maxIterations = 1000

    public init(interval: Int64, anchor: Int64, zone: Zone) {
        self.interval = interval
        self.anchor = anchor
        self.zone = zone
    }

    /// A zoned time: its instant and its wall clock.
    struct Local {
        var instant: Int64
        var wall: Int64
    }

    private func local(_ instant: Int64) -> Local { Local(instant: instant, wall: zone.wall(instant)) }

    /// pendulum's `DateTime.add(days:seconds:)`: with days, both are added to the wall clock and
    /// the result is resolved in the zone; without, the seconds are elapsed time.
    private func add(_ t: Local, days: Int64, micros: Int64) -> Local {
        if days != 0 {
            return local(zone.pendulumInstant(wall: t.wall + days * Self.day + micros))
        }
        return local(t.instant + micros)
    }

    static let day: Int64 = 86_400_000_000

    /// Up to `n` dates (instants) from `start` (inclusive) to `end` (inclusive), in order. Without
    /// `n`: up to 1,000 with an `end`, else one.
    public func dates(n: Int? = nil, start: Int64, end: Int64? = nil) -> [Int64] {
        let n = n ?? (end == nil ? 1 : Self.maxIterations)
        let days = interval / Self.day
        let micros = interval - days * Self.day
        let anchorLocal = local(anchor)
        let startLocal = local(start)
        let endWall = end.map { zone.wall($0) }

        func jump(_ k: Int64) -> Local {
            if days == 0 || micros == 0 { return add(anchorLocal, days: days * k, micros: micros * k) }
            return add(anchorLocal, days: 0, micros: interval * k)
        }

        var offset: Int64 = 0
        var next: Local
        if startLocal.wall >= anchorLocal.wall, days != 0, micros == 0, zone.name != "UTC" {
            next = seekCalendarDays(from: anchorLocal, to: startLocal, days: days)
        } else {
            // Python's int() of the elapsed intervals: truncated toward zero.
            offset = Int64((Double(start - anchor) / 1_000_000) / (Double(interval) / 1_000_000))
            next = jump(offset)
            while next.wall > startLocal.wall {
                offset -= 1
                next = jump(offset)
            }
        }
        let beforeAnchorDays = startLocal.wall < anchorLocal.wall && days != 0 && micros == 0
        func advance(_ t: Local) -> Local {
            if beforeAnchorDays, offset < 0 {
                offset += 1
                return jump(offset)
            }
            return add(t, days: days, micros: micros)
        }
        while next.wall < startLocal.wall { next = advance(next) }

        var seen = Set<Int64>()
        var dates: [Int64] = []
        var counter = 0
        while true {
            if let endWall, next.wall > endWall { break }
            if seen.insert(next.wall).inserted { dates.append(next.instant) }
            if dates.count >= n || counter > Self.maxIterations { break }
            counter += 1
            next = advance(next)
        }
        return dates
    }

    /// The reference's `_seek_calendar_interval` for whole days: from the anchor towards `start`
    /// in steps that stop short of each offset change, so that a skipped local time moves the
    /// series exactly as adding one interval at a time would.
    private func seekCalendarDays(from anchor: Local, to start: Local, days: Int64) -> Local {
        var current = anchor
        while current.instant < start.instant {
            var boundary = start
            if let transition = zone.nextTransition(after: current.instant), transition < start.instant {
                boundary = local(transition)
            }
            let elapsedDays = floorDiv(boundary.wall, Self.day) - floorDiv(current.wall, Self.day)
            let count = max(1, floorDiv(elapsedDays, days) - 1)
            current = add(current, days: days * count, micros: 0)
        }
        return current
    }
}
