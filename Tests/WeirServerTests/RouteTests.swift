import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WeirModels
@testable import WeirServer
import WeirStore

/// Runs `body` against the router on a fresh database.
func withApp(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weir-http-\(UUID().uuidString)")
    let store = try await Store.openSQLite(path: dir.appendingPathComponent("weir.db").path)
    let app = Application(router: buildRouter(store: store, settings: Settings(databasePath: "")))
    do {
        try await app.test(.router) { client in try await body(client) }
    } catch {
        await store.close()
        throw error
    }
    await store.close()
    try? FileManager.default.removeItem(at: dir)
}

/// Parses a response body.
func json(_ response: TestResponse) throws -> JSONValue {
    try JSONParser.parse(Array(response.body.readableBytesView))
}

func post(_ client: any TestClientProtocol, _ path: String, _ body: String) async throws -> TestResponse {
    try await client.execute(uri: path, method: .post, body: ByteBuffer(string: body))
}

@Suite struct RouteTests {
    @Test func healthAndVersion() async throws {
        try await withApp { client in
            #expect(String(buffer: try await client.execute(uri: "/api/health", method: .get).body) == "true")
            #expect(String(buffer: try await client.execute(uri: "/api/admin/version", method: .get).body) == "\"3.9.1\"")
            let csrf = try await client.execute(uri: "/api/csrf-token?client=x", method: .get)
            #expect(csrf.status == .unprocessableContent && String(buffer: csrf.body) == #"{"detail":"CSRF protection is disabled."}"#)
        }
    }

    @Test func flowsAreCreatedOnceByName() async throws {
        try await withApp { client in
            let first = try await post(client, "/api/flows/", #"{"name":"etl","tags":["a"]}"#)
            #expect(first.status == .created)
            let second = try await post(client, "/api/flows/", #"{"name":"etl","tags":["b"]}"#)
            #expect(second.status == .ok)
            #expect(try json(first)["id"] == json(second)["id"] && json(second)["tags"] == .array([.string("a")]))
            let id = try json(first)["id"]!
            guard case .string(let idText) = id else { Issue.record("no id"); return }
            #expect(try await client.execute(uri: "/api/flows/\(idText)", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/api/flows/name/etl", method: .get).status == .ok)
            let missing = try await client.execute(uri: "/api/flows/\(UUID().uuidString)", method: .get)
            #expect(missing.status == .notFound && String(buffer: missing.body) == #"{"detail":"Flow not found"}"#)
            let bad = try await post(client, "/api/flows/", #"{"name":"a/b"}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(String(buffer: bad.body).contains("string_pattern_mismatch"))
        }
    }

    @Test func readFlowRunsEndToEnd() async throws {
        try await withApp { client in
            let flow = try json(try await post(client, "/api/flows/", #"{"name":"f"}"#))
            guard case .string(let flowId)? = flow["id"] else { Issue.record("no flow id"); return }
            let created = try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(flowId)","name":"r1","tags":["prod"]}"#)
            #expect(created.status == .created)
            guard case .string(let runId)? = try json(created)["id"] else { Issue.record("no run id"); return }
            let set = try await post(client, "/api/flow_runs/\(runId)/set_state", #"{"state":{"type":"RUNNING"}}"#)
            let setBody = try json(set)
            #expect(set.status == .created && setBody["status"] == .string("ACCEPT"))
            let listed = try json(try await post(client, "/api/flow_runs/filter", #"{"flow_runs":{"tags":{"all_":["prod"]},"state":{"type":{"any_":["RUNNING"]}}}}"#))
            guard case .array(let runs) = listed else { Issue.record("not a list"); return }
            #expect(runs.count == 1 && runs[0]["run_count"] == .number("1") && runs[0]["state_name"] == .string("Running"))
            #expect(String(buffer: try await post(client, "/api/flow_runs/count", #"{"flow_runs":{"tags":{"all_":["nope"]}}}"#).body) == "0")
            let missing = try await post(client, "/api/flow_runs/\(UUID().uuidString)/set_state", #"{"state":{"type":"RUNNING"}}"#)
            #expect(missing.status == .notFound && String(buffer: missing.body).contains("exception_message"))
        }
    }

    @Test func badInputIsA4xxInTheReferenceShape() async throws {
        try await withApp { client in
            let malformed = try await post(client, "/api/flow_runs/filter", "{bad")
            #expect(malformed.status == .unprocessableContent)
            #expect(try json(malformed)["request_body"] == .string("{bad"))
            let limit = try await post(client, "/api/flow_runs/filter", #"{"limit":201}"#)
            #expect(limit.status == .unprocessableContent && String(buffer: limit.body) == #"{"detail":"Invalid limit: must be less than or equal to 200."}"#)
            let extra = try await post(client, "/api/flow_runs/filter", #"{"flow_runs":{"nope":1}}"#)
            #expect(extra.status == .unprocessableContent && String(buffer: extra.body).contains("extra_forbidden"))
            let path = try await client.execute(uri: "/api/flow_runs/not-a-uuid", method: .get)
            #expect(path.status == .notFound && String(buffer: path.body) == #"{"detail":"Not Found"}"#)
            let fk = try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(UUID().uuidString)"}"#)
            #expect(fk.status == .conflict)
            let count = try json(try await post(client, "/api/flow_runs/count", "{}"))
            #expect(count == .number("0"))
            let pool = try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(UUID().uuidString)","state":{"type":"NOPE"}}"#)
            #expect(pool.status == .unprocessableContent)
        }
    }

    @Test func workPoolsQueuesAndDeploymentRuns() async throws {
        try await withApp { client in
            #expect(try await post(client, "/api/work_pools/", #"{"name":"pool","type":"process"}"#).status == .created)
            #expect(try await post(client, "/api/work_pools/", #"{"name":"pool"}"#).status == .conflict)
            #expect(try await post(client, "/api/work_pools/", #"{"name":"prefect-x"}"#).status == .forbidden)
            #expect(try await post(client, "/api/work_pools/pool/queues", #"{"name":"high","priority":1}"#).status == .created)
            let queues = try json(try await post(client, "/api/work_pools/pool/queues/filter", "{}"))
            guard case .array(let qs) = queues else { Issue.record("not a list"); return }
            #expect(qs.map { $0["name"] } == [.string("high"), .string("default")])
            #expect(try await client.execute(uri: "/api/work_pools/pool/queues/nope", method: .get).status == .notFound)
            let flow = try json(try await post(client, "/api/flows/", #"{"name":"f"}"#))
            guard case .string(let flowId)? = flow["id"] else { return }
            let dep = try await post(client, "/api/deployments/", #"{"name":"d","flow_id":"\#(flowId)","work_pool_name":"pool","parameters":{"a":1,"b":2},"tags":["x"]}"#)
            #expect(dep.status == .created)
            guard case .string(let depId)? = try json(dep)["id"] else { return }
            let run = try json(try await post(client, "/api/deployments/\(depId)/create_flow_run", #"{"parameters":{"b":3},"tags":["y"]}"#))
            #expect(run["parameters"] == .object([("a", .number("1")), ("b", .number("3"))]))
            #expect(run["tags"] == .array([.string("x"), .string("y")]))
            #expect(run["work_queue_name"] == .string("default") && run["work_pool_name"] == .string("pool") && run["state_type"] == .string("SCHEDULED"))
            #expect(run["labels"]?["prefect.deployment.id"] == .string(depId))
            #expect(try await post(client, "/api/deployments/", #"{"name":"d/x","flow_id":"\#(flowId)"}"#).status == .unprocessableContent)
        }
    }
}
