import Foundation
import Testing

@testable import WeirModels

@Suite struct JSONTests {
    @Test func roundTripKeepsKeyOrderAndNumbers() throws {
        let text = #"{"b":1,"a":[1.0,-2e3,"x\n\u00e9"],"c":{"z":null,"y":true}}"#
        let value = try JSONParser.parse(text)
        #expect(value.jsonText == #"{"b":1,"a":[1.0,-2e3,"x\né"],"c":{"z":null,"y":true}}"#)
    }

    @Test(arguments: [
        ("{bad", "Expecting property name enclosed in double quotes", 1),
        ("", "Expecting value", 0),
        ("[1,]", "Expecting value", 3),
        ("{} x", "Extra data", 3),
        ("{\"a\" 1}", "Expecting ':' delimiter", 5),
    ])
    func malformedJSONReportsPythonMessage(text: String, message: String, position: Int) {
        #expect(throws: JSONParseError(message: message, position: position)) { try JSONParser.parse(text) }
    }

    @Test func duplicateKeyKeepsLastValue() throws {
        #expect(try JSONParser.parse(#"{"a":1,"a":2}"#) == .object([("a", .number("2"))]))
    }

    @Test func floatsPrintLikePython() {
        #expect(JSONWriter.pythonFloat(0) == "0.0")
        #expect(JSONWriter.pythonFloat(1.5) == "1.5")
        #expect(JSONWriter.pythonFloat(100) == "100.0")
        #expect(JSONWriter.pythonFloat(0.00001) == "1e-05")
    }

    @Test func uuidsAreWrittenLowercase() {
        var w = JSONWriter()
        w.uuid(UUID(uuidString: "01A225A9-07F1-7283-8C65-40CB8BB4F82E")!)
        #expect(w.output == "\"01a225a9-07f1-7283-8c65-40cb8bb4f82e\"")
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2026-11-29T04:56:04.464910Z", "2026-11-29T04:56:04.464910Z"),
        ("2026-11-29T04:56:04Z", "2026-11-29T04:56:04Z"),
        ("2026-11-29 05:02:51.255584+00:00", "2026-11-29T05:02:51.255584Z"),
        ("2026-11-29T06:00:00+02:00", "2026-11-29T04:00:00Z"),
        ("2026-11-29T06:00:00-0130", "2026-11-29T07:30:00Z"),
        ("2021-03-01", "2021-03-01T00:00:00Z"),
        ("2021-03-01T10:00:00", "2021-03-01T10:00:00Z"),
        ("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500000Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
    ])
    func parsesISO8601AsPydantic(input: String, expected: String) throws {
        let t = try #require(Timestamp(iso8601: input))
        #expect(t.description == expected)
    }

    @Test(arguments: ["2023-02-29", "2026-13-01", "yesterday", "2026-11-29T25:00:00Z", "2026-11-29T10:00:00+"])
    func rejectsInvalidDates(input: String) {
        #expect(Timestamp(iso8601: input) == nil)
    }

    @Test func epochSecondsAreAccepted() {
        #expect(Timestamp(epoch: 0)?.description == "1970-01-01T00:00:00Z")
        #expect(Timestamp(epoch: 1_700_000_000_000)?.description == "2023-11-14T22:13:20Z")
        // Python's datetime holds years 1 to 9999: 2.5e14 ms is year 9892, 3e14 ms past 9999.
        #expect(Timestamp(epoch: 2.5e14)?.description == "9892-03-08T12:26:40Z")
        #expect(Timestamp(epoch: 3e14) == nil)
        #expect(Timestamp(epoch: -1e17) == nil)
        #expect(Timestamp(epoch: 1e300) == nil)
        #expect(Timestamp(epoch: .nan) == nil)
        #expect(Timestamp(iso8601: "9999-12-31T23:59:59.999999Z") == Timestamp.latest)
        #expect(Timestamp(iso8601: "9999-12-31T23:00:00-05:00") == nil)
        #expect(Timestamp(iso8601: "0001-01-01T00:00:00+01:00") == nil)
    }
}
