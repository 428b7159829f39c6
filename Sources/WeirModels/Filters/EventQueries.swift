import Foundation

/// The body of `POST /events/filter`.
public struct ReadEventsQuery: Sendable {
    public var filter: EventFilter
    /// The filter as sent, kept for the next-page token.
    public var filterJSON: JSONValue
    public var limit: Int

    /// Validates a body; `limit` is 0...50 (default 50).
    public static func read(_ body: JSONValue?, now: Timestamp) throws -> ReadEventsQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: ["filter", "limit"])
        let filter = EventFilter.read(r["filter"], now: now)
        var limit = 50
        let lf = r["limit"]
        if !lf.isAbsentOrNull, let l = lf.int() {
            if l < 0 {
                lf.fail("greater_than_equal", "Input should be greater than or equal to 0", ctx: .object([("ge", .number("0"))]))
            } else if l > 50 {
                lf.fail("less_than_equal", "Input should be less than or equal to 50", ctx: .object([("le", .number("50"))]))
            } else {
                limit = l
            }
        }
        try context.check()
        guard let filter else { throw ValidationFailure([]) }
        return ReadEventsQuery(filter: filter, filterJSON: r["filter"].value ?? .null, limit: limit)
    }
}

/// What `POST /events/count-by/{countable}` counts by.
public enum EventCountable: String, Sendable, CaseIterable {
    case day, time, event, resource
}

/// The time units of event counts.
public enum EventTimeUnit: String, Sendable, CaseIterable {
    case week, day, hour, minute, second

    /// Its length in seconds.
    public var seconds: Double {
        switch self {
        case .week: return 604_800
        case .day: return 86_400
        case .hour: return 3600
        case .minute: return 60
        case .second: return 1
        }
    }
}

/// The body of `POST /events/count-by/{countable}`.
public struct CountEventsQuery: Sendable {
    public var filter: EventFilter
    public var unit: EventTimeUnit
    public var interval: Double

    /// Validates a body (`filter` is required).
    public static func read(_ body: JSONValue?, now: Timestamp) throws -> CountEventsQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: ["filter", "time_unit", "time_interval"])
        let filter = r.required("filter").flatMap { EventFilter.read($0, now: now) }
        let unit = r["time_unit"].isAbsentOrNull ? .day : (r["time_unit"].enumeration(EventTimeUnit.self) ?? .day)
        var interval = 1.0
        if !r["time_interval"].isAbsentOrNull, let i = r["time_interval"].double() {
            if i < 0.01 {
                r["time_interval"].fail(
                    "greater_than_equal",
                    "Input should be greater than or equal to 0.01",
                    ctx: .object([("ge", .number("0.01"))])
                )
            } else {
                interval = i
            }
        }
        try context.check()
        guard let filter else { throw ValidationFailure([]) }
        let buckets = Int((filter.until.secondsSince(filter.since) / (unit.seconds * interval)).rounded(.up))
        if buckets > 1000 {
            throw InvalidQuery(
                detail: "The given interval would create \(buckets) buckets, which is too many. "
                    + "Please increase the interval or reduce the time range to produce 1000 buckets or fewer."
            )
        }
        return CountEventsQuery(filter: filter, unit: unit, interval: interval)
    }
}

/// One row of an event count.
public struct EventCount: Sendable, Equatable, JSONWritable {
    public var value: String
    public var label: String
    public var count: Int
    public var startTime: Timestamp
    public var endTime: Timestamp

    /// Writes `{value, label, count, start_time, end_time}`.
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("value")
        w.string(value)
        w.key("label")
        w.string(label)
        w.key("count")
        w.int(count)
        w.key("start_time")
        w.date(startTime)
        w.key("end_time")
        w.date(endTime)
        w.endObject()
    }

    /// Counts events as the reference does: by name or resource (count desc, label asc), or in
    /// time buckets aligned to 2024-04-01T00:00:00Z (every bucket, zeros included).
    public static func count(_ events: [Event], by countable: EventCountable, query: CountEventsQuery, now: Timestamp) -> [EventCount] {
        switch countable {
        case .event, .resource:
            var groups: [String: (label: String, count: Int, first: Timestamp, last: Timestamp)] = [:]
            for e in events {
                let key = countable == .event ? e.event : e.resourceId
                var label = key
                if countable == .resource {
                    if case .string(let n)? = e.resource["prefect.resource.name"] {
                        label = n
                    } else if case .string(let n)? = e.resource["prefect.name"] {
                        label = n
                    }
                }
                if var g = groups[key] {
                    g.count += 1
                    g.first = min(g.first, e.occurred)
                    g.last = max(g.last, e.occurred)
                    groups[key] = g
                } else {
                    groups[key] = (label, 1, e.occurred, e.occurred)
                }
            }
            return groups.map {
                EventCount(value: $0.key, label: $0.value.label, count: $0.value.count, startTime: $0.value.first, endTime: $0.value.last)
            }
            .sorted { ($1.count, $0.label) < ($0.count, $1.label) }
        case .day, .time:
            let width = Int64((countable == .day ? 86_400 : query.unit.seconds * query.interval) * 1_000_000)
            let pivot = Timestamp(iso8601: "2024-04-01T00:00:00Z")!.microseconds
            func bucket(_ t: Timestamp) -> Int64 {
                let d = t.microseconds - pivot
                return d >= 0 ? d / width : -((-d + width - 1) / width)
            }
            let first = bucket(query.filter.since)
            let last = bucket(min(query.filter.until, Timestamp(microseconds: max(now.microseconds, query.filter.since.microseconds))))
            guard last >= first else { return [] }
            var counts = [Int](repeating: 0, count: Int(last - first + 1))
            for e in events {
                let b = bucket(e.occurred) - first
                if b >= 0, b < counts.count { counts[Int(b)] += 1 }
            }
            return counts.enumerated().map { i, n in
                let start = Timestamp(microseconds: pivot + (first + Int64(i)) * width)
                var label = start.description
                label.removeLast()
                return EventCount(
                    value: String(i),
                    label: label + "+00:00",
                    count: n,
                    startTime: start,
                    endTime: Timestamp(microseconds: start.microseconds + width - 1)
                )
            }
        }
    }
}
