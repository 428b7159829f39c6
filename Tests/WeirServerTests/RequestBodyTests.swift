import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WeirModels

@testable import WeirServer

/// Request bodies as the reference reads them (`json.loads` on the bytes), within Weir's limits.
@Suite struct RequestBodyTests {
    func postBytes(_ client: any TestClientProtocol, _ path: String, _ bytes: [UInt8]) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, body: ByteBuffer(bytes: bytes))
    }

    @Test func unreadableBodiesAnswerTheReferences400() async throws {
        try await withApp { client in
            let unparsable = #"{"detail":"There was an error parsing the body"}"#
            let notUTF8 = try await postBytes(client, "/api/flows/", Array(#"{"name":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8))
            #expect(notUTF8.status == .badRequest && String(buffer: notUTF8.body) == unparsable)
            // An encoded surrogate is not UTF-8 either (the reference decodes it, then fails later; docs/compat.md).
            let encodedSurrogate = try await postBytes(client, "/api/flows/", Array(#"{"name":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8))
            #expect(encodedSurrogate.status == .badRequest)
            let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
            let tooDeep = try await post(client, "/api/flow_runs/filter", #"{"flow_runs":\#(deep)}"#)
            #expect(tooDeep.status == .badRequest && String(buffer: tooDeep.body) == unparsable)
            let longInteger = try await post(client, "/api/flow_runs/filter", #"{"limit":\#(String(repeating: "1", count: 4301))}"#)
            #expect(longInteger.status == .badRequest)
            // A syntax error is the 422 json_invalid, with Python's message and position.
            let syntax = try await post(client, "/api/flows/", #"{"name": "x",}"#)
            #expect(syntax.status == .unprocessableContent)
            #expect(
                try json(syntax)["exception_detail"]
                    == .array([
                        .object([
                            ("type", .string("json_invalid")), ("loc", .array([.string("body"), .number("13")])),
                            ("msg", .string("JSON decode error")),
                            ("input", .emptyObject), ("ctx", .object([("error", .string("Expecting property name enclosed in double quotes"))])),
                        ])
                    ])
            )
        }
    }

    @Test func aByteOrderMarkAndPythonsNumberWordsAreAccepted() async throws {
        try await withApp { client in
            let flow = try await postBytes(client, "/api/flows/", [0xEF, 0xBB, 0xBF] + Array(#"{"name":"bom"}"#.utf8))
            #expect(flow.status == .created)
            guard case .string(let flowId)? = try json(flow)["id"] else {
                Issue.record("no flow id")
                return
            }
            let run = try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(flowId)","parameters":{"a":NaN,"b":-Infinity,"c":1,"c":2}}"#)
            #expect(run.status == .created)
            #expect(try json(run)["parameters"] == .object([("a", .null), ("b", .null), ("c", .number("2"))]))
        }
    }

    @Test func limitsComeFromTheSettings() async throws {
        try await withApp(
            testSettings {
                $0.limits.maxBodyBytes = 4096
                $0.limits.maxJSONDepth = 8
            }
        ) { client in
            let large = try await post(client, "/api/flows/filter", #"{"flows":{"name":{"any_":["\#(String(repeating: "x", count: 5000))"]}}}"#)
            #expect(large.status == .contentTooLarge && String(buffer: large.body) == #"{"detail":"Request Entity Too Large"}"#)
            let deep = try await post(client, "/api/flows/filter", #"{"flows":{"name":{"any_":[[[[[[["x"]]]]]]]}}}"#)
            #expect(deep.status == .badRequest)
            let fits = try await post(client, "/api/flows/filter", #"{"flows":{"name":{"any_":["x"]}}}"#)
            #expect(fits.status == .ok)
        }
    }

    /// The deepest nesting the settings allow goes through validation, storage and the answer on a
    /// server thread's stack (the recursion of the parser, the writer and the value's release).
    @Test func theDeepestAllowedNestingIsStoredAndAnswered() async throws {
        try await withApp(testSettings { $0.limits.maxJSONDepth = RequestLimits.depthCeiling }) { client in
            let flow = try json(try await post(client, "/api/flows/", #"{"name":"deep"}"#))
            guard case .string(let flowId)? = flow["id"] else {
                Issue.record("no flow id")
                return
            }
            let depth = RequestLimits.depthCeiling - 2
            let value = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
            let run = try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(flowId)","parameters":{"a":\#(value)}}"#)
            #expect(run.status == .created)
            guard case .string(let runId)? = try json(run)["id"] else {
                Issue.record("no run id")
                return
            }
            let read = try await client.execute(uri: "/api/flow_runs/\(runId)", method: .get)
            #expect(String(buffer: read.body).contains(#""parameters":{"a":\#(value)}"#))
        }
    }

    /// A million keys in one object: parsed in linear time, so the request answers promptly
    /// (the quadratic parser took minutes on a tenth of this).
    @Test func aMillionParameterKeysAnswerPromptly() async throws {
        try await withApp(testSettings { $0.limits.maxBodyBytes = 64 * 1024 * 1024 }) { client in
            let flow = try json(try await post(client, "/api/flows/", #"{"name":"wide"}"#))
            guard case .string(let flowId)? = flow["id"] else {
                Issue.record("no flow id")
                return
            }
            var body = #"{"flow_id":"\#(flowId)","parameters":{"#
            body.reserveCapacity(16_000_000)
            for i in 0..<1_000_000 { body += (i == 0 ? "" : ",") + "\"k\(i)\":\(i)" }
            body += "}}"
            let start = ContinuousClock.now
            let run = try await post(client, "/api/flow_runs/", body)
            #expect(run.status == .created)
            #expect(ContinuousClock.now - start < .seconds(120))
        }
    }
}
