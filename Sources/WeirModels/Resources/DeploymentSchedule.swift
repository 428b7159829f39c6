import Foundation

/// A schedule of a deployment as given in `POST /deployments/`, `PATCH /deployments/{id}`,
/// `POST /deployments/{id}/schedules` (`DeploymentScheduleCreate`) or
/// `PATCH /deployments/{id}/schedules/{schedule_id}` (`DeploymentScheduleUpdate`).
public struct DeploymentScheduleInput: Sendable, Equatable {
    /// The normalised schedule (``Schedule/read(_:now:)``); nil in an update that gives none.
    public var schedule: JSONValue?
    public var active: Bool?
    public var maxScheduledRuns: Int?
    public var parameters: JSONValue?
    public var slug: String?
    public var replaces: String?
    /// The keys the body gave.
    public var present: Set<String> = []

    /// The reference's `PREFECT_DEPLOYMENT_SCHEDULE_MAX_SCHEDULED_RUNS` default.
    public static let maxScheduledRunsLimit = 50

    public init() {}

    /// Reads one schedule; in an update every field is optional.
    public static func read(_ field: JSONField, update: Bool, now: Timestamp) -> DeploymentScheduleInput? {
        guard let r = field.model(known: ["active", "schedule", "max_scheduled_runs", "parameters", "slug", "replaces"]) else { return nil }
        var s = DeploymentScheduleInput()
        if case .object(let pairs) = r.value { s.present = Set(pairs.map(\.0)) }
        if update {
            s.active = r["active"].isAbsentOrNull ? nil : r["active"].bool()
        } else {
            var a = r["active"]
            a.nullable = false
            s.active = a.value == nil ? true : a.bool()
        }
        if update {
            if !r["schedule"].isAbsentOrNull { s.schedule = Schedule.read(r["schedule"], now: now) }
        } else if let f = r.required("schedule") {
            s.schedule = Schedule.read(f, now: now)
        }
        let m = r["max_scheduled_runs"]
        if !m.isAbsentOrNull, let n = m.int() {
            if n <= 0 {
                m.fail("greater_than", "Input should be greater than 0", ctx: .object([("gt", .number("0"))]))
            } else if n > maxScheduledRunsLimit {
                m.fail(
                    "value_error",
                    "Value error, `max_scheduled_runs` must be less than or equal to \(maxScheduledRunsLimit).",
                    ctx: .object([("error", .emptyObject)])
                )
            } else {
                s.maxScheduledRuns = n
            }
        }
        var p = r["parameters"]
        p.nullable = false
        if p.value != nil { s.parameters = p.object() }
        s.slug = r["slug"].isAbsentOrNull ? nil : r["slug"].string()
        s.replaces = r["replaces"].isAbsentOrNull ? nil : r["replaces"].string()
        return field.context.issues.isEmpty ? s : nil
    }

    /// The stored (and answered) `DeploymentSchedule` of a new schedule.
    public func stored(id: UUID, deployment: UUID, now: Timestamp) -> JSONValue {
        .object([
            ("id", .string(id.uuidString.lowercased())), ("created", .string(now.description)), ("updated", .string(now.description)),
            ("deployment_id", .string(deployment.uuidString.lowercased())), ("schedule", schedule ?? .null), ("active", .bool(active ?? true)),
            ("max_scheduled_runs", maxScheduledRuns.map { .number(String($0)) } ?? .null), ("parameters", parameters ?? .emptyObject),
            ("slug", slug.map(JSONValue.string) ?? .null),
        ])
    }

    /// A stored schedule with this update's fields applied (`updated` set to `now`), as the
    /// reference applies `model_dump(exclude_none=True)`: every field that is not null, so
    /// `parameters`, whose default is `{}`, is reset when not given.
    public func applied(to stored: JSONValue, now: Timestamp) -> JSONValue {
        guard case .object(var pairs) = stored else { return stored }
        func set(_ key: String, _ value: JSONValue) {
            if let k = pairs.firstIndex(where: { $0.0 == key }) { pairs[k].1 = value } else { pairs.append((key, value)) }
        }
        if let schedule { set("schedule", schedule) }
        if let active { set("active", .bool(active)) }
        if let maxScheduledRuns { set("max_scheduled_runs", .number(String(maxScheduledRuns))) }
        set("parameters", parameters ?? .emptyObject)
        if let slug { set("slug", .string(slug)) }
        set("updated", .string(now.description))
        return .object(pairs)
    }
}

/// What `POST /deployments/{id}/schedule` and a scheduler pass schedule: runs from `start`
/// (now when nil) to `end` (`start` + `maxScheduledTime` when nil), at most `maxRuns` per
/// schedule, and at least `minRuns` and until `start + minTime` where the schedule allows.
public struct ScheduleWindow: Sendable, Equatable {
    public var start: Timestamp?
    public var end: Timestamp?
    /// Seconds.
    public var minTime: Double
    public var minRuns: Int
    public var maxRuns: Int
    /// Seconds.
    public var maxScheduledTime: Double

    public init(start: Timestamp? = nil, end: Timestamp? = nil, minTime: Double, minRuns: Int, maxRuns: Int, maxScheduledTime: Double) {
        self.start = start
        self.end = end
        self.minTime = minTime
        self.minRuns = minRuns
        self.maxRuns = maxRuns
        self.maxScheduledTime = maxScheduledTime
    }

    /// Reads the body of `POST /deployments/{id}/schedule` (every key optional; the defaults are
    /// the scheduler's settings).
    public static func read(_ body: JSONValue?, defaults: ScheduleWindow) throws -> ScheduleWindow {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: [])
        var w = defaults
        if !r["start_time"].isAbsentOrNull { w.start = r["start_time"].plainDatetime() }
        if !r["end_time"].isAbsentOrNull { w.end = r["end_time"].plainDatetime() }
        if !r["min_time"].isAbsentOrNull, let t = r["min_time"].double() { w.minTime = t }
        if !r["min_runs"].isAbsentOrNull, let n = r["min_runs"].int() { w.minRuns = n }
        if !r["max_runs"].isAbsentOrNull, let n = r["max_runs"].int() { w.maxRuns = n }
        try context.check()
        return w
    }
}
