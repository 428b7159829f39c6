import Foundation
import Testing

@testable import WeirModels

/// Schedule arithmetic against the reference's own outputs for the same inputs
/// (`scripts/schedule_tables.py` generated the tables with prefect==3.9.1).
@Suite struct ScheduleTests {
    struct IntervalCase: Decodable, CustomTestStringConvertible {
        var interval: Double
        var anchor: String
        var timezone: String?
        var stored_timezone: String
        var start: String
        var end: String
        var n: Int
        var dates: [String]

        var testDescription: String { "every \(interval) s from \(anchor) in \(timezone ?? "-"), start \(start)" }
    }

    static func table<T: Decodable>(_ name: String) throws -> [T] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Schedules"))
        return try JSONDecoder().decode([T].self, from: Data(contentsOf: url))
    }

    static func micros(_ text: String) throws -> Int64 {
        try #require(Timestamp(iso8601: text), "\(text)").microseconds
    }

    @Test func intervalSchedulesGiveTheReferencesDates() throws {
        let cases: [IntervalCase] = try Self.table("interval")
        #expect(cases.count > 500)
        var failures: [String] = []
        for c in cases {
            let zone = try #require(Zone(c.stored_timezone))
            let schedule = IntervalSchedule(interval: Int64((c.interval * 1_000_000).rounded()), anchor: try Self.micros(c.anchor), zone: zone)
            let dates = schedule.dates(n: c.n, start: try Self.micros(c.start), end: try Self.micros(c.end))
            let expected = try c.dates.map(Self.micros)
            if dates != expected {
                let got = dates.map { Timestamp(microseconds: $0).pythonString }
                failures.append("\(c.testDescription):\n  expected \(c.dates)\n  got      \(got)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) differ; first: \(failures.prefix(3).joined(separator: "\n"))")
    }
}
