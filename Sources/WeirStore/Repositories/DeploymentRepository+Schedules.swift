import Foundation
import SQLKit
import WeirModels

/// A deployment's schedules (`/deployments/{id}/schedules`) and the runs they make
/// (`POST /deployments/{id}/schedule` and the scheduler service).
extension DeploymentRepository {
    /// The outcome of a change to one schedule.
    public enum ScheduleChange: Sendable, Equatable {
        case done
        case noDeployment
        case noSchedule
    }

    /// The deployment's stored schedules, locked for the transaction (PostgreSQL).
    static func lockedSchedules(_ db: any SQLDatabase, _ id: UUID) async throws -> [JSONValue]? {
        guard let row = try await db.raw("SELECT schedules FROM deployment WHERE id = \(bind: id.lowercased)\(unsafeRaw: db.rowLock)").first()
        else { return nil }
        guard case .array(let items) = try row.jsonValue("schedules") else { throw StoreError.integrity }
        return items
    }

    static func saveSchedules(_ db: any SQLDatabase, _ id: UUID, _ schedules: [JSONValue]) async throws {
        try await db.raw("UPDATE deployment SET schedules = \(bind: JSONValue.array(schedules).jsonText) WHERE id = \(bind: id.lowercased)").run()
    }

    static func slug(_ s: JSONValue) -> String? { if case .string(let v)? = s["slug"] { v } else { nil } }
    static func scheduleId(_ s: JSONValue) -> String? { if case .string(let v)? = s["id"] { v } else { nil } }

    /// Slugs are unique within a deployment (the reference's unique index, whose violation it
    /// answers with its generic integrity conflict on SQLite).
    static func checkSlugsUnique(_ schedules: [JSONValue]) throws {
        var seen = Set<String>()
        for s in schedules {
            if let slug = slug(s), !seen.insert(slug).inserted { throw StoreError.integrity }
        }
    }

    /// `GET /deployments/{id}/schedules`, most recently updated first; nil without the deployment.
    public func schedules(_ id: UUID) async throws -> [JSONValue]? {
        try await backend.read { db in
            guard let row = try await db.raw("SELECT schedules FROM deployment WHERE id = \(bind: id.lowercased)").first() else { return nil }
            guard case .array(let items) = try row.jsonValue("schedules") else { throw StoreError.integrity }
            return items
        }
    }

    /// `POST /deployments/{id}/schedules`: the new schedules, in the order given; nil without the
    /// deployment; a slug used twice is a conflict.
    public func createSchedules(_ id: UUID, _ inputs: [DeploymentScheduleInput], now: Timestamp = .now()) async throws -> [JSONValue]? {
        try await backend.write { db in
            guard let current = try await Self.lockedSchedules(db, id) else { return nil }
            let created = inputs.map { $0.stored(id: UUID(), deployment: id, now: now) }
            let all = created.reversed() + current
            try Self.checkSlugsUnique(all)
            try await Self.saveSchedules(db, id, all)
            return created
        }
    }

    /// `PATCH /deployments/{id}/schedules/{schedule_id}`: the fields given change, the schedule
    /// moves first, and the deployment's future auto-scheduled runs are deleted.
    public func updateSchedule(_ id: UUID, schedule: UUID, _ input: DeploymentScheduleInput, now: Timestamp = .now()) async throws -> ScheduleChange {
        try await backend.write { db in
            guard var current = try await Self.lockedSchedules(db, id) else { return .noDeployment }
            guard let i = current.firstIndex(where: { Self.scheduleId($0) == schedule.lowercased }) else { return .noSchedule }
            let updated = input.applied(to: current[i], now: now)
            current.remove(at: i)
            current.insert(updated, at: 0)
            try Self.checkSlugsUnique(current)
            try await Self.saveSchedules(db, id, current)
            try await Self.deleteAutoScheduledRuns(db, id, futureAfter: now)
            return .done
        }
    }

    /// `DELETE /deployments/{id}/schedules/{schedule_id}`: the deployment's auto-scheduled runs
    /// that have not run are deleted with it.
    public func deleteSchedule(_ id: UUID, schedule: UUID) async throws -> ScheduleChange {
        try await backend.write { db in
            guard var current = try await Self.lockedSchedules(db, id) else { return .noDeployment }
            guard let i = current.firstIndex(where: { Self.scheduleId($0) == schedule.lowercased }) else { return .noSchedule }
            current.remove(at: i)
            try await Self.saveSchedules(db, id, current)
            try await Self.deleteScheduledRuns(db, deployment: id, autoScheduledOnly: true)
            return .done
        }
    }

    /// The deployment's auto-scheduled runs still scheduled, never run, due after `futureAfter`.
    static func deleteAutoScheduledRuns(_ db: any SQLDatabase, _ id: UUID, futureAfter now: Timestamp) async throws {
        try await db.raw(
            """
            DELETE FROM flow_run WHERE deployment_id = \(bind: id.lowercased) AND state_type = 'SCHEDULED'
            AND state_name != 'AwaitingConcurrencySlot' AND run_count = 0 AND auto_scheduled = 1
            AND next_scheduled_start_time > \(bind: now.microseconds)
            """
        ).run()
    }

    /// `POST /deployments/{id}/schedule` (and each scheduler pass): the runs of the deployment's
    /// active schedules from `start`, as the reference's `schedule_runs` makes them; the ids of
    /// the runs created (a run whose idempotency key exists is not made again). Nothing for an
    /// unknown deployment.
    public func scheduleRuns(_ id: UUID, _ window: ScheduleWindow, now: Timestamp = .now()) async throws -> [UUID] {
        try await backend.write { db in try await Self.scheduleRuns(db, id, window, now: now) }
    }

    static func scheduleRuns(_ db: any SQLDatabase, _ id: UUID, _ window: ScheduleWindow, now: Timestamp) async throws -> [UUID] {
        guard let d = try await find(db, id),
            let row = try await db.raw("SELECT work_queue_name FROM deployment WHERE id = \(bind: id.lowercased)").first()
        else { return [] }
        let queueName = try row.optString("work_queue_name")
        let start = window.start ?? now
        let end = window.end ?? start.adding(seconds: window.maxScheduledTime)
        let minimumUntil = start.microseconds + Int64(window.minTime * 1_000_000)
        guard case .array(let schedules) = try d.schedules.parsed() else { throw StoreError.integrity }
        let deploymentParameters = try d.parameters.parsed()
        let labels = JSONObjectBuilder.merge([
            try d.labels.parsed(),
            .object([("prefect.flow.id", .string(d.flowId.lowercased)), ("prefect.deployment.id", .string(id.lowercased))]),
        ])
        var created: [UUID] = []
        for stored in schedules where stored["active"] != .bool(false) {
            guard let scheduleJSON = stored["schedule"], let schedule = Schedule(stored: scheduleJSON), let scheduleId = scheduleId(stored),
                let all = schedule.dates(n: window.maxRuns, start: start.microseconds, end: end.microseconds)
            else { continue }
            var dates: [Int64] = []
            for date in all {
                dates.append(date)
                if dates.count >= window.minRuns && date >= minimumUntil { break }
            }
            let displayValue = slug(stored) ?? schedule.className
            for date in dates {
                var c = FlowRunCreate()
                c.parameters = JSONObjectBuilder.merge([deploymentParameters, stored["parameters"] ?? .emptyObject])
                c.idempotencyKey = "scheduled \(id.lowercased) \(scheduleId) \(Schedule.pythonLocalString(date, zone: schedule.zone))"
                c.infrastructureDocumentId = d.infrastructureDocumentId
                c.jobVariables = .emptyObject
                var details = StateDetails()
                details.scheduledTime = Timestamp(microseconds: date)
                details.scheduledTimeOffset = schedule.zone.offset(at: date)  // the local time, as the reference writes it
                c.state = StateCreate(type: .SCHEDULED, message: "Flow run scheduled", stateDetails: details)
                let createdBy = JSONValue.object([
                    ("id", .string(scheduleId)), ("type", .string("SCHEDULE")), ("display_value", .string(displayValue)),
                ])
                let (run, isNew) = try await FlowRunRepository.insert(
                    db,
                    c,
                    flowId: d.flowId,
                    labels: labels,
                    tags: ["auto-scheduled"] + d.tags,
                    queueId: d.workQueueId,
                    workQueueName: queueName,
                    deploymentId: id,
                    deploymentVersion: d.version,
                    createdBy: createdBy,
                    defaultState: StateCreate(type: .SCHEDULED),
                    now: now
                )
                guard isNew else { continue }
                try await db.raw("UPDATE flow_run SET auto_scheduled = 1 WHERE id = \(bind: run.id.lowercased)").run()
                created.append(run.id)
            }
        }
        return created
    }
}
