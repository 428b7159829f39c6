import Foundation
import Testing

@testable import WeirModels
@testable import WeirOrchestration

/// Reading schedules as the reference's union reads them, and the scheduler's small pure parts.
/// (The compat suite compares whole answers with the reference; these pin the pieces.)
@Suite struct ScheduleReadingTests {
    static let now = Timestamp(iso8601: "2026-12-04T10:00:00Z")!

    func read(_ json: String) -> (JSONValue?, [ValidationIssue]) {
        let context = ValidationContext()
        let value = try! JSONParser.parse(json)
        let result = Schedule.read(JSONField(value: value, loc: [.key("schedule")], context: context), now: Self.now)
        return (result, context.issues)
    }

    @Test func intervalsAreNormalisedAsTheReferenceStoresThem() {
        #expect(
            read(#"{"interval": 3600}"#).0
                == .object([("interval", .number("3600.0")), ("anchor_date", .string("2026-12-04T10:00:00Z")), ("timezone", .string("UTC"))])
        )
        #expect(read(#"{"interval": "PT1H30M", "anchor_date": "2026-01-01"}"#).0?["interval"] == .number("5400.0"))
        #expect(read(#"{"interval": "1 day, 0:00:30"}"#).0?["interval"] == .number("86430.0"))
        // An offset is kept (and the zone is UTC); a naive time is UTC.
        #expect(read(#"{"interval": 60, "anchor_date": "2026-01-01T09:00:00-05:00"}"#).0?["anchor_date"] == .string("2026-01-01T09:00:00-05:00"))
        #expect(read(#"{"interval": 60, "anchor_date": "2026-01-01T09:00:00.5"}"#).0?["anchor_date"] == .string("2026-01-01T09:00:00.500000Z"))
    }

    @Test func aScheduleNoMemberAcceptsReportsEveryMembersErrors() {
        let (value, issues) = read(#"{"interval": 0}"#)
        #expect(value == nil)
        #expect(issues.map(\.type) == ["value_error", "missing", "extra_forbidden", "missing", "extra_forbidden"])
        #expect(issues[0].loc == [.key("schedule"), .key(Schedule.branches.interval), .key("interval")])
        #expect(read(#"{"cron": "61 * * * *"}"#).1.contains { $0.msg == #"Value error, Invalid cron string: "61 * * * *""# })
        #expect(
            read(#"{"cron": "0 0 * * *", "timezone": "Mars/Base"}"#).1.contains { $0.msg.hasPrefix(#"Value error, Invalid timezone: "Mars/Base""#) }
        )
        #expect(
            read(#"{"rrule": "FREQ=DAILY;FOO=1"}"#).1.contains {
                $0.msg == #"Value error, Invalid RRule string "FREQ=DAILY;FOO=1": unknown parameter 'FOO'"#
            }
        )
        #expect(read("[]").1.count == 3)
    }

    @Test func cronAndRRuleAreStoredWithTheReferencesDefaults() {
        #expect(read(#"{"cron": "@daily"}"#).0 == .object([("cron", .string("@daily")), ("timezone", .null), ("day_or", .bool(true))]))
        #expect(read(#"{"rrule": "FREQ=DAILY;COUNT=3"}"#).0?["rrule"] == .string("DTSTART:20200101T000000\nFREQ=DAILY;COUNT=3"))
        // A minutely rule without COUNT gets the latest phase-equivalent anchor before now, in its zone.
        #expect(
            read(#"{"rrule": "FREQ=MINUTELY;INTERVAL=7", "timezone": "Asia/Kolkata"}"#).0?["rrule"]
                == .string("DTSTART:20261204T152800\nFREQ=MINUTELY;INTERVAL=7")
        )
    }

    @Test func localTimesAreWrittenAsPythonWritesThem() throws {
        let zone = try #require(Zone("America/New_York"))
        let t = try #require(Timestamp(iso8601: "2031-11-02T05:30:00Z")).microseconds
        #expect(Schedule.pythonLocalString(t, zone: zone) == "2031-11-02 01:30:00-04:00")
        #expect(Schedule.pythonLocalString(t + 3_600_000_000, zone: zone) == "2031-11-02 01:30:00-05:00")
        #expect(Timestamp.utcOffset(ofISO8601: "2026-01-01T00:00:00+05:30") == 19_800_000_000)
        #expect(Timestamp.utcOffset(ofISO8601: "2026-01-01T00:00:00Z") == 0)
        #expect(Timestamp.utcOffset(ofISO8601: "2026-01-01") == 0)
    }

    @Test func aScheduleNeedsRunsWhenItHasTooFewOrTheyEndTooSoon() {
        let now = Self.now
        #expect(Scheduling.needsRuns(futureRuns: 2, lastStart: now.adding(seconds: 86_400), now: now, minRuns: 3, minScheduledTime: 3600))
        #expect(Scheduling.needsRuns(futureRuns: 5, lastStart: now.adding(seconds: 600), now: now, minRuns: 3, minScheduledTime: 3600))
        #expect(!Scheduling.needsRuns(futureRuns: 5, lastStart: now.adding(seconds: 7200), now: now, minRuns: 3, minScheduledTime: 3600))
        #expect(!Scheduling.needsRuns(futureRuns: 0, lastStart: nil, now: now, minRuns: 0, minScheduledTime: 3600))
    }
}
