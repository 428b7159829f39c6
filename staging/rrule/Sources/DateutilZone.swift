import Foundation

/// The instant of a wall time as the reference computes it: a rule's occurrences carry
/// `dateutil.tz.gettz(timezone)` (a `tzfile`), whose `utcoffset` the reference reads (xafter's
/// comparison, then pendulum's `instance`), with `fold=0`.
///
/// dateutil places each offset change at a wall time: the UTC instant of the change plus the
/// standard offset of the period it starts (`trans_list`). A wall time takes the offset of the
/// last change at or before it, unless it falls within the first `old - new` of a change that
/// turns the clocks back (ambiguous, `fold=0`): then the offset before. So a wall time that a
/// change skips (02:30 on a spring-forward night in New York) reads with the offset after it,
/// landing an hour early (06:30Z, which is 01:30 EST), and one that a change repeats reads with
/// the offset before (its first occurrence).
///
/// dateutil reads only the 32-bit part of the zone file, which ends in January 2038: after its
/// last change every wall time reads with the zone's standard offset (no daylight saving time).
/// The zone rules are Foundation's (ICU), not the reference's system tzdata.
final class DateutilZone {
    let zone: Zone
    private let timeZone: TimeZone?
    private let isUTC: Bool
    /// Offset changes (UTC instant seconds, offset before, offset after, dateutil's wall time of
    /// the change), by year of the instant.
    private var years: [Int: [(instant: Int, before: Int, after: Int, wall: Int)]] = [:]
    /// 2038-01-19T03:14:08Z: the end of dateutil's transitions.
    static let cutoff = 2_147_483_648

    init(_ zone: Zone) {
        self.zone = zone
        timeZone = TimeZone(identifier: zone.name)
        isUTC = zone.offset(at: 0) == 0 && zone.nextTransition(after: 0) == nil
    }

    private func offset(atSeconds t: Int) -> Int { Int(zone.offset(at: Int64(t) * 1_000_000) / 1_000_000) }

    /// The standard offset (without daylight saving time) at an instant.
    private func standardOffset(atSeconds t: Int) -> Int {
        let date = Date(timeIntervalSince1970: Double(t))
        let dst = timeZone.map { Int($0.daylightSavingTimeOffset(for: date)) } ?? 0
        return offset(atSeconds: t) - dst
    }

    private func transitions(year: Int) -> [(instant: Int, before: Int, after: Int, wall: Int)] {
        if let cached = years[year] { return cached }
        var out: [(instant: Int, before: Int, after: Int, wall: Int)] = []
        let from = Civil.seconds(year, 1, 1)
        let to = Civil.seconds(year + 1, 1, 1)
        var cursor = Int64(from - 1) * 1_000_000
        while let next = zone.nextTransition(after: cursor) {
            let t = Int(floorDiv(next, 1_000_000))
            if t >= to || t >= Self.cutoff { break }
            let before = offset(atSeconds: t - 1)
            let after = offset(atSeconds: t)
            if before != after {
                // dateutil: the change's wall time is its instant plus the new period's standard
                // offset, or the old one's when both the standard offset and DST change at once.
                let base = standardOffset(atSeconds: t)
                let lastBase = standardOffset(atSeconds: t - 1)
                let dstNow = base != after
                let dstBefore = lastBase != before
                let adjustment = (base != lastBase && dstNow != dstBefore) ? lastBase : base
                out.append((t, before, after, t + adjustment))
            }
            cursor = next
        }
        years[year] = out
        return out
    }

    /// The instant (microseconds) of a wall time (microseconds).
    func instant(wall: Int) -> Int {
        if isUTC { return wall }
        let seconds = floorDiv(wall, 1_000_000)
        if seconds >= Self.cutoff + cutoffStandard {
            return wall - cutoffStandard * 1_000_000
        }
        let year = Civil.date(floorDiv(seconds, 86_400)).year
        var candidates: [(instant: Int, before: Int, after: Int, wall: Int)] = []
        for y in (year - 1)...(year + 1) { candidates.append(contentsOf: transitions(year: y)) }
        let off: Int
        if let c = candidates.last(where: { $0.wall <= seconds }) {
            // Within the first (before - after) of a change that turns the clocks back: fold 0.
            off = seconds < c.wall + (c.before - c.after) ? c.before : c.after
        } else if let first = candidates.first {
            off = first.before
        } else {
            off = offset(atSeconds: seconds - 50_400)
        }
        return wall - off * 1_000_000
    }

    /// The standard offset where dateutil's changes end.
    private lazy var cutoffStandard: Int = standardOffset(atSeconds: Self.cutoff)
}
