import Foundation
import Testing

@testable import WeirModels

/// Cron schedule dates against the reference's own outputs for the same inputs
/// (`scripts/cron_tables.py` generated the table with prefect==3.9.1 on Python 3.11).
@Suite struct CronScheduleTests {
    struct Case: Decodable, CustomTestStringConvertible {
        var cron: String
        var day_or: Bool
        var timezone: String?
        var start: String
        var end: String?
        var n: Int?
        var dates: [String]
        var error: String?

        var testDescription: String {
            "\(cron.debugDescription) day_or=\(day_or) in \(timezone ?? "-"), start \(start), end \(end ?? "-"), n \(n.map(String.init) ?? "-")"
        }
    }

    struct Invalid: Decodable {
        var cron: String
        var message: String
    }

    struct Fuzz: Decodable {
        var cron: String
        var day_or: Bool
        var message: String?
        var dates: [String]
        var error: String?
    }

    struct Table: Decodable {
        var cases: [Case]
        var fuzz: [Fuzz]
        var invalid: [Invalid]
        var random_valid: [String]
        var valid: [String]
    }

    static let table: Table = {
        let url = Bundle.module.url(forResource: "cron", withExtension: "json", subdirectory: "Schedules")!
        return try! JSONDecoder().decode(Table.self, from: Data(contentsOf: url))
    }()

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` to microseconds since the epoch.
    static func micros(_ text: String) throws -> Int64 {
        let parts = text.split(whereSeparator: { "-T:.Z".contains($0) }).map { Int64($0) }
        guard parts.count == 7, parts.allSatisfy({ $0 != nil }) else { throw CancellationError() }
        let p = parts.map { $0! }
        let days = daysFromCivil(Int(p[0]), Int(p[1]), Int(p[2]))
        return ((days * 86_400 + p[3] * 3600 + p[4] * 60 + p[5]) * 1_000_000) + p[6]
    }

    static func iso(_ micros: Int64) -> String {
        let seconds = floorDiv(micros, 1_000_000)
        let c = Civil(seconds: seconds)
        let f = micros - seconds * 1_000_000
        func pad(_ v: some BinaryInteger, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)).\(pad(f, 6))Z"
    }

    @Test func datesMatchTheReference() throws {
        let cases = Self.table.cases
        #expect(cases.count > 5_000)
        var failures: [String] = []
        var schedules: [String: CronSchedule] = [:]
        for c in cases {
            let key = "\(c.cron)|\(c.day_or)|\(c.timezone ?? "")"
            let schedule: CronSchedule
            if let s = schedules[key] {
                schedule = s
            } else {
                let zone = try #require(Zone(c.timezone ?? "UTC"))
                schedule = try CronSchedule(cron: c.cron, zone: c.timezone == nil ? nil : zone, dayOr: c.day_or)
                schedules[key] = schedule
            }
            let dates = schedule.dates(n: c.n, start: try Self.micros(c.start), end: try c.end.map(Self.micros))
            let expected = try c.dates.map(Self.micros)
            if dates != expected {
                failures.append("\(c.testDescription) [\(c.error ?? "")]:\n  expected \(c.dates)\n  got      \(dates.map(Self.iso))")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) differ; first: \(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test func invalidStringsThrowTheReferencesMessage() {
        #expect(Self.table.invalid.count > 30)
        for c in Self.table.invalid {
            do throws(CronError) {
                _ = try CronSchedule(cron: c.cron)
                Issue.record("accepted \(c.cron.debugDescription)")
            } catch {
                #expect(error.message == c.message)
            }
        }
    }

    /// Seeded random strings: the reference's verdict, and for valid ones its dates.
    @Test func fuzzedStringsMatchTheReference() throws {
        let zone = try #require(Zone("America/New_York"))
        let start = try Self.micros("2026-03-07T12:00:00.000000Z")
        #expect(Self.table.fuzz.count >= 3000)
        var failures: [String] = []
        for c in Self.table.fuzz {
            do throws(CronError) {
                let schedule = try CronSchedule(cron: c.cron, zone: zone, dayOr: c.day_or)
                if let message = c.message {
                    failures.append("\(c.cron.debugDescription): accepted, reference: \(message)")
                    continue
                }
                let dates = schedule.dates(n: 8, start: start, end: nil)
                if dates != c.dates.map({ (try? Self.micros($0)) ?? -1 }) {
                    failures.append("\(c.cron.debugDescription) day_or=\(c.day_or): expected \(c.dates), got \(dates.map(Self.iso))")
                }
            } catch {
                if error.message != c.message {
                    failures.append("\(c.cron.debugDescription): \(error.message), reference: \(c.message ?? "valid")")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(Self.table.fuzz.count) differ: \(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test func validStringsAreAccepted() throws {
        for cron in Self.table.valid {
            #expect(throws: Never.self, "\(cron.debugDescription)") { _ = try CronSchedule(cron: cron) }
        }
    }

    /// Random fields: always valid for these strings; the dates differ between calls, as the
    /// reference's do, but there are always ten.
    @Test func randomExpressionsAreAcceptedAndDrawn() throws {
        let start = try Self.micros("2026-01-01T00:00:00.000000Z")
        for cron in Self.table.random_valid {
            for _ in 0..<20 {
                let schedule = try CronSchedule(cron: cron)
                #expect(schedule.dates(n: 10, start: start).count == 10, "\(cron)")
            }
        }
    }
}
