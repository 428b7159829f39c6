import Foundation
import Testing

@testable import RRule

/// RRule schedule dates and verdicts against the reference's own outputs for the same inputs
/// (`scripts/rrule_tables.py` generated the table with prefect==3.9.1 on Python 3.11).
@Suite struct RRuleTests {
    /// A run: [start, end, n, dates, error?].
    struct Run: Decodable {
        var start: Int64
        var end: Int64?
        var n: Int?
        var dates: [Int64]
        var error: String?

        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            start = try c.decode(Int64.self)
            end = try c.decodeIfPresent(Int64.self)
            n = try c.decodeIfPresent(Int.self)
            dates = try c.decode([Int64].self)
            error = c.isAtEnd ? nil : try c.decode(String.self)
        }
    }

    struct Case: Decodable {
        var rrule: String
        var timezone: String?
        var runs: [Run]
    }

    struct Invalid: Decodable {
        var rrule: String
        var type: String
        var message: String
    }

    struct Fuzz: Decodable {
        var rrule: String
        var timezone: String?
        var start: Int64
        var type: String?
        var message: String?
        var dates: [Int64]?
        var error: String?
    }

    struct Single: Decodable {
        var rrule: String
        var same_as: String?
        var timezone: String?
        var start: Int64
        var n: Int
        var dates: [Int64]
        var error: String?
    }

    struct Table: Decodable {
        var now: Int64
        var cases: [Case]
        var invalid: [Invalid]
        var valid: [String]
        var fuzz: [Fuzz]
        var edge: [Fuzz]
        var far: [Single]
        var equivalent: [Single]
        var batches: [Case]
    }

    static let table: Table = {
        let url = Bundle.module.url(forResource: "rrule", withExtension: "json")!
        return try! JSONDecoder().decode(Table.self, from: Data(contentsOf: url))
    }()

    static var now: Int { Int(table.now / 1_000_000) }

    static func iso(_ micros: Int64) -> String {
        let s = Int(micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000)
        let us = Int(micros) - s * 1_000_000
        let days = s >= 0 ? s / 86_400 : (s - 86_399) / 86_400
        let (y, m, d) = Civil.date(days)
        let t = s - days * 86_400
        func pad(_ v: Int, _ w: Int) -> String {
            let str = String(v)
            return String(repeating: "0", count: max(0, w - str.count)) + str
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(t / 3600, 2)):\(pad(t / 60 % 60, 2)):\(pad(t % 60, 2)).\(pad(us, 6))Z"
    }

    static func schedule(_ rrule: String, _ tz: String?) throws(RRuleError) -> RRuleSchedule {
        try RRuleSchedule(rrule: rrule, timezone: tz, now: now)
    }

    @Test func datesMatchTheReference() throws {
        let cases = Self.table.cases
        #expect(cases.count >= 40 * 6)
        var failures: [String] = []
        var runs = 0
        for c in cases {
            let schedule = try Self.schedule(c.rrule, c.timezone)
            for r in c.runs {
                runs += 1
                let dates = schedule.dates(n: r.n, start: r.start, end: r.end)
                if dates != r.dates {
                    failures.append(
                        "\(c.rrule.debugDescription) in \(c.timezone ?? "-"), start \(Self.iso(r.start)), end \(r.end.map(Self.iso) ?? "-"), n \(r.n.map(String.init) ?? "-") [\(r.error ?? "")]:\n  expected \(r.dates.map(Self.iso))\n  got      \(dates.map(Self.iso))"
                    )
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(runs) differ; first: \(failures.prefix(6).joined(separator: "\n"))")
    }

    @Test func invalidStringsThrowTheReferencesMessage() {
        #expect(Self.table.invalid.count > 50)
        var failures: [String] = []
        for c in Self.table.invalid {
            do throws(RRuleError) {
                _ = try Self.schedule(c.rrule, nil)
                failures.append("accepted \(c.rrule.debugDescription)")
            } catch {
                let type: String
                switch error {
                case .unhandled(let t, _): type = t
                default: type = "ValueError"
                }
                if error.message != c.message || type != c.type {
                    failures.append(
                        "\(c.rrule.debugDescription): \(type) \(error.message.debugDescription), reference: \(c.type) \(c.message.debugDescription)"
                    )
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func validStringsAreAccepted() {
        for s in Self.table.valid {
            #expect(throws: Never.self, "\(s.debugDescription)") { _ = try Self.schedule(s, nil) }
        }
    }

    /// dateutil computes occurrences 10 at a time: an exception (BYEASTER past the end of 2030's
    /// table) surfaces when the batch holding it is needed, including after skipped occurrences.
    @Test func exceptionsSurfaceByBatchesOfTen() throws {
        var failures: [String] = []
        for c in Self.table.batches {
            let schedule = try Self.schedule(c.rrule, c.timezone)
            for r in c.runs {
                let dates = schedule.dates(n: r.n, start: r.start, end: r.end)
                if dates != r.dates {
                    failures.append(
                        "\(c.rrule.debugDescription) from \(Self.iso(r.start)) n \(r.n ?? -1) [\(r.error ?? "")]: expected \(r.dates.count), got \(dates.count)"
                    )
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    /// Seeded random strings: the reference's verdict, and for valid ones 8 dates from a start.
    @Test func fuzzedStringsMatchTheReference() throws {
        #expect(Self.table.fuzz.count >= 1000)
        Self.checkVerdictsAndDates(Self.table.fuzz)
    }

    /// Corners of dateutil's parsers and iteration: the reference's verdict and dates.
    @Test func edgeCasesMatchTheReference() throws {
        #expect(Self.table.edge.count > 100)
        Self.checkVerdictsAndDates(Self.table.edge)
    }

    static func checkVerdictsAndDates(_ cases: [Fuzz]) {
        var failures: [String] = []
        for c in cases {
            do throws(RRuleError) {
                let schedule = try Self.schedule(c.rrule, c.timezone)
                if let message = c.message {
                    failures.append("\(c.rrule.debugDescription): accepted, reference: \(c.type ?? "") \(message)")
                    continue
                }
                let dates = schedule.dates(n: 8, start: c.start, end: nil)
                if dates != c.dates ?? [] {
                    failures.append(
                        "\(c.rrule.debugDescription) in \(c.timezone ?? "-") from \(Self.iso(c.start)) [\(c.error ?? "")]: expected \((c.dates ?? []).map(Self.iso)), got \(dates.map(Self.iso))"
                    )
                }
            } catch {
                if error.message != c.message {
                    failures.append(
                        "\(c.rrule.debugDescription): \(error.message.debugDescription), reference: \((c.message ?? "valid").debugDescription)"
                    )
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) differ:\n\(failures.prefix(12).joined(separator: "\n"))")
    }

    /// Rules that walk millions of occurrences before the start in the reference (it took 5-30
    /// seconds for each); here they must be quick.
    @Test func farFromDTSTART() throws {
        for c in Self.table.far {
            let schedule = try Self.schedule(c.rrule, c.timezone)
            let clock = ContinuousClock()
            var dates: [Int64] = []
            let elapsed = clock.measure { dates = schedule.dates(n: c.n, start: c.start, end: nil) }
            #expect(dates == c.dates, "\(c.rrule.debugDescription): expected \(c.dates.map(Self.iso)), got \(dates.map(Self.iso))")
            #expect(elapsed < .seconds(5), "\(c.rrule.debugDescription) took \(elapsed)")
        }
    }

    /// Beyond the reference (SECONDLY from 1900): the dates of the same rule from a DTSTART whole
    /// weeks later, which the reference computed.
    @Test func beyondTheReference() throws {
        for c in Self.table.equivalent {
            let schedule = try Self.schedule(c.rrule, c.timezone)
            let clock = ContinuousClock()
            var dates: [Int64] = []
            let elapsed = clock.measure { dates = schedule.dates(n: c.n, start: c.start, end: nil) }
            #expect(dates == c.dates, "\(c.rrule.debugDescription): expected \(c.dates.map(Self.iso)), got \(dates.map(Self.iso))")
            #expect(elapsed < .seconds(5), "\(c.rrule.debugDescription) took \(elapsed)")
        }
    }

    /// Inputs near the 6,500-character limit: validation and dates stay quick (no quadratic work).
    @Test func longInputsAreQuick() throws {
        let longs = [
            "DTSTART:20260101T000000\nFREQ=YEARLY;BYSETPOS=" + Array(repeating: "1,-1", count: 1500).joined(separator: ","),
            "DTSTART:" + String(repeating: "1.", count: 3000) + "\nFREQ=DAILY",
            "DTSTART:" + String(repeating: "A.", count: 3000) + "\nFREQ=DAILY",
            "FREQ=DAILY;BYHOUR=" + Array(repeating: "1", count: 3000).joined(separator: ","),
            "DTSTART;TZID=" + String(repeating: "TZID=", count: 1200) + ":20260101T000000\nFREQ=DAILY",
            "FREQ=MINUTELY;BYDAY=" + Array(repeating: "MO", count: 2000).joined(separator: ",") + "\nDTSTART:20260301T000000",
            String(repeating: "RDATE:20260308T020000\n", count: 280),
        ]
        let clock = ContinuousClock()
        for s in longs {
            let elapsed = clock.measure {
                if let schedule = try? RRuleSchedule(rrule: s, timezone: "America/New_York", now: Self.now) {
                    _ = schedule.dates(n: 10, start: 1_772_884_800_000_000, end: nil)
                }
            }
            #expect(elapsed < .seconds(2), "\(s.prefix(60).debugDescription) took \(elapsed)")
        }
    }
}
