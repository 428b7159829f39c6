import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WeirModels
import WeirStore
import WeirTestSupport

@testable import WeirServer

/// Runs `body` against the router on a fresh database (SQLite, or PostgreSQL when
/// `WEIR_TEST_DATABASE_URL` is set).
func withApp(
    _ settings: Settings = Settings(databasePath: ""),
    _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    try await TestDatabase.withStore { store in
        let app = Application(router: buildRouter(store: store, settings: settings))
        try await app.test(.router) { client in try await body(client) }
    }
}

/// Settings for an in-process app, changed by `change`.
func testSettings(_ change: (inout Settings) -> Void) -> Settings {
    var settings = Settings(databasePath: "")
    change(&settings)
    return settings
}

/// A response a test did not expect, with its status and body.
struct UnexpectedResponse: Error, CustomStringConvertible {
    let description: String
    init(_ r: TestResponse) { description = "\(r.status.code) \(String(buffer: r.body))" }
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

    @Test func apiVersionHeaderIsChecked() async throws {
        try await withApp { client in
            func get(_ version: String) async throws -> TestResponse {
                var headers = HTTPFields()
                headers[HTTPField.Name("X-PREFECT-API-VERSION")!] = version
                return try await client.execute(uri: "/api/admin/version", method: .get, headers: headers)
            }
            #expect(try await get("0.8.4").status == .ok)
            let bad = try await get("latest")
            #expect(bad.status == .badRequest && String(buffer: bad.body).contains("Invalid X-PREFECT-API-VERSION header format"))
            #expect(try await get("0.7.9").status == .badRequest)
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
            guard case .string(let idText) = id else {
                Issue.record("no id")
                return
            }
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
            guard case .string(let flowId)? = flow["id"] else {
                Issue.record("no flow id")
                return
            }
            let created = try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(flowId)","name":"r1","tags":["prod"]}"#)
            #expect(created.status == .created)
            guard case .string(let runId)? = try json(created)["id"] else {
                Issue.record("no run id")
                return
            }
            let set = try await post(client, "/api/flow_runs/\(runId)/set_state", #"{"state":{"type":"RUNNING"}}"#)
            let setBody = try json(set)
            #expect(set.status == .created && setBody["status"] == .string("ACCEPT"))
            let listed = try json(
                try await post(client, "/api/flow_runs/filter", #"{"flow_runs":{"tags":{"all_":["prod"]},"state":{"type":{"any_":["RUNNING"]}}}}"#)
            )
            guard case .array(let runs) = listed else {
                Issue.record("not a list")
                return
            }
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
            #expect(
                limit.status == .unprocessableContent
                    && String(buffer: limit.body) == #"{"detail":"Invalid limit: must be less than or equal to 200."}"#
            )
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
            guard case .array(let qs) = queues else {
                Issue.record("not a list")
                return
            }
            #expect(qs.map { $0["name"] } == [.string("high"), .string("default")])
            #expect(try await client.execute(uri: "/api/work_pools/pool/queues/nope", method: .get).status == .notFound)
            let flow = try json(try await post(client, "/api/flows/", #"{"name":"f"}"#))
            guard case .string(let flowId)? = flow["id"] else { return }
            let dep = try await post(
                client,
                "/api/deployments/",
                #"{"name":"d","flow_id":"\#(flowId)","work_pool_name":"pool","parameters":{"a":1,"b":2},"tags":["x"]}"#
            )
            #expect(dep.status == .created)
            guard case .string(let depId)? = try json(dep)["id"] else { return }
            let run = try json(try await post(client, "/api/deployments/\(depId)/create_flow_run", #"{"parameters":{"b":3},"tags":["y"]}"#))
            #expect(run["parameters"] == .object([("a", .number("1")), ("b", .number("3"))]))
            #expect(run["tags"] == .array([.string("x"), .string("y")]))
            #expect(
                run["work_queue_name"] == .string("default") && run["work_pool_name"] == .string("pool") && run["state_type"] == .string("SCHEDULED")
            )
            #expect(run["labels"]?["prefect.deployment.id"] == .string(depId))
            #expect(try await post(client, "/api/deployments/", #"{"name":"d/x","flow_id":"\#(flowId)"}"#).status == .unprocessableContent)
        }
    }
}

@Suite struct MoreRouteTests {
    func id(_ response: TestResponse) throws -> String {
        guard case .string(let s)? = try json(response)["id"] else { throw CancellationError() }
        return s
    }

    @Test func taskRunsAreCreatedOnceAndMoveThroughStates() async throws {
        try await withApp { client in
            let flowId = try id(try await post(client, "/api/flows/", #"{"name":"f"}"#))
            let runId = try id(try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(flowId)","labels":{"team":"data"}}"#))
            let body = #"{"name":"extract","flow_run_id":"\#(runId)","task_key":"extract-1","dynamic_key":"0","tags":["t"]}"#
            let first = try await post(client, "/api/task_runs/", body)
            let second = try await post(client, "/api/task_runs/", body)
            let firstId = try id(first)
            let secondId = try id(second)
            #expect(first.status == .created && second.status == .ok && firstId == secondId)
            let task = try json(first)
            #expect(task["labels"]?["prefect.flow-run.id"] == .string(runId) && task["labels"]?["team"] == .string("data"))
            let taskId = firstId
            #expect(task["state_type"] == .string("PENDING") && task["state"]?["state_details"]?["task_run_id"] == .string(taskId))
            let early = try await post(client, "/api/task_runs/\(taskId)/set_state", #"{"state":{"type":"RUNNING"}}"#)
            let earlyBody = try json(early)
            #expect(early.status == .ok && earlyBody["status"] == .string("ABORT"))
            #expect(earlyBody["details"]?["reason"] == .string("The enclosing flow must be running to begin task execution."))
            #expect(try await post(client, "/api/flow_runs/\(runId)/set_state", #"{"state":{"type":"RUNNING"}}"#).status == .created)
            #expect(try await post(client, "/api/task_runs/\(taskId)/set_state", #"{"state":{"type":"RUNNING"}}"#).status == .created)
            #expect(try await post(client, "/api/task_runs/\(taskId)/set_state", #"{"state":{"type":"COMPLETED"},"force":true}"#).status == .created)
            let read = try json(try await client.execute(uri: "/api/task_runs/\(taskId)", method: .get))
            #expect(read["run_count"] == .number("1") && read["state_type"] == .string("COMPLETED") && read["end_time"] != .null)
            let missing = try await client.execute(uri: "/api/task_runs/\(UUID().uuidString)", method: .get)
            #expect(missing.status == .notFound && String(buffer: missing.body) == #"{"detail":"Task not found"}"#)
            #expect(try await post(client, "/api/task_runs/", #"{"name":"x","task_key":"k"}"#).status == .unprocessableContent)
            let filtered = try json(try await post(client, "/api/flow_runs/filter", #"{"task_runs":{"state":{"type":{"any_":["COMPLETED"]}}}}"#))
            guard case .array(let matching) = filtered else {
                Issue.record("not a list")
                return
            }
            #expect(matching.map { $0["id"] } == [.string(runId)])
        }
    }

    @Test func flowFilterCountAndDeploymentReads() async throws {
        try await withApp { client in
            let a = try id(try await post(client, "/api/flows/", #"{"name":"b-flow","tags":["x"]}"#))
            _ = try await post(client, "/api/flows/", #"{"name":"a-flow"}"#)
            _ = try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(a)","tags":["run"]}"#)
            let names = try json(try await post(client, "/api/flows/filter", "{}"))
            guard case .array(let list) = names else {
                Issue.record("not a list")
                return
            }
            #expect(list.map { $0["name"] } == [.string("a-flow"), .string("b-flow")])
            #expect(String(buffer: try await post(client, "/api/flows/count", #"{"flow_runs":{"tags":{"all_":["run"]}}}"#).body) == "1")
            #expect(String(buffer: try await post(client, "/api/flows/count", #"{"flows":{"tags":{"all_":["x"]}}}"#).body) == "1")
            #expect(try await post(client, "/api/flows/filter", #"{"sort":"CREATED_DESC","limit":1}"#).status == .ok)
            let dep = try id(try await post(client, "/api/deployments/", #"{"name":"d","flow_id":"\#(a)","work_queue_name":"legacy"}"#))
            let read = try json(try await client.execute(uri: "/api/deployments/\(dep)", method: .get))
            #expect(read["work_queue_name"] == .string("legacy") && read["work_pool_name"] == .string("default-agent-pool"))
            let again = try await post(client, "/api/deployments/", #"{"name":"d","flow_id":"\#(a)","version":"2"}"#)
            let againId = try id(again)
            let againBody = try json(again)
            #expect(
                again.status == .ok && againId == dep && againBody["work_queue_name"] == .string("legacy") && againBody["version"] == .string("2")
            )
            #expect(try await client.execute(uri: "/api/deployments/\(UUID().uuidString)", method: .get).status == .notFound)
            #expect(try await post(client, "/api/deployments/\(UUID().uuidString)/create_flow_run", "{}").status == .notFound)
            let pool = try json(try await client.execute(uri: "/api/work_pools/default-agent-pool", method: .get))
            #expect(pool["type"] == .string("prefect-agent"))
            let queue = try await client.execute(uri: "/api/work_pools/default-agent-pool/queues/legacy", method: .get)
            let queueBody = try json(queue)
            #expect(queue.status == .ok && queueBody["work_pool_name"] == .string("default-agent-pool"))
            let missingPool = try await client.execute(uri: "/api/work_pools/nope", method: .get)
            #expect(missingPool.status == .notFound && String(buffer: missingPool.body) == #"{"detail":"Work pool \"nope\" not found."}"#)
        }
    }

    /// Defaults the reference fills in for runs and deployments, however they are created.
    @Test func runAndDeploymentDefaultsMatchTheReference() async throws {
        try await withApp { client in
            let a = try id(try await post(client, "/api/flows/", #"{"name":"a"}"#))
            let b = try id(try await post(client, "/api/flows/", #"{"name":"b"}"#))
            let dep = try id(try await post(client, "/api/deployments/", #"{"name":"d","flow_id":"\#(a)","labels":{"team":"x"}}"#))
            // From a deployment, job variables default to {} with or without an idempotency key.
            for body in ["{}", #"{"idempotency_key":"k1"}"#] {
                let run = try json(try await post(client, "/api/deployments/\(dep)/create_flow_run", body))
                #expect(run["job_variables"] == .emptyObject, "\(body)")
            }
            // A run naming a deployment of another flow is labelled with the deployment's flow.
            let linked = try json(try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(b)","deployment_id":"\#(dep)","labels":{"mine":"1"}}"#))
            #expect(linked["flow_id"] == .string(b))
            #expect(
                linked["labels"]
                    == .object([
                        ("prefect.flow.id", .string(a)), ("team", .string("x")), ("prefect.deployment.id", .string(dep)), ("mine", .string("1")),
                    ])
            )
            // A Scheduled state without a time is scheduled for now.
            let scheduled = try json(try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(a)","state":{"type":"SCHEDULED"}}"#))
            #expect(scheduled["next_scheduled_start_time"] != .null && scheduled["state"]?["state_details"]?["scheduled_time"] != .null)
            // Deployments: pull steps and parameter schemas absent, null and empty.
            func deployment(_ extra: String) async throws -> JSONValue {
                try json(try await post(client, "/api/deployments/", #"{"name":"d\#(extra.hashValue)","flow_id":"\#(a)"\#(extra)}"#))
            }
            let plain = try await deployment("")
            #expect(plain["pull_steps"] == .array([]) && plain["parameter_openapi_schema"] == .emptyObject)
            let nulls = try await deployment(#","pull_steps":null,"parameter_openapi_schema":null"#)
            #expect(nulls["pull_steps"] == .null && nulls["parameter_openapi_schema"] == .null)
            let empty = try await deployment(#","parameter_openapi_schema":{},"concurrency_options":{"collision_strategy":"ENQUEUE"}"#)
            #expect(empty["parameter_openapi_schema"] == .object([("type", .string("object")), ("properties", .emptyObject)]))
            #expect(empty["concurrency_options"] == .object([("collision_strategy", .string("ENQUEUE")), ("grace_period_seconds", .null)]))
            let old = try await post(
                client,
                "/api/deployments/",
                #"{"name":"old","flow_id":"\#(a)","worker_pool_name":"p","work_pool_queue_name":"q"}"#
            )
            #expect(old.status == .created)
            let removed = try await post(client, "/api/deployments/", #"{"name":"old","flow_id":"\#(a)","schedule":null}"#)
            #expect(removed.status == .unprocessableContent)
        }
    }

    @Test func automationHeadersFillCreatedBy() async throws {
        try await withApp { client in
            let flowId = try id(try await post(client, "/api/flows/", #"{"name":"f"}"#))
            let automation = UUID().uuidString.lowercased()
            var headers = HTTPFields()
            headers[HTTPField.Name("Prefect-Automation-Id")!] = automation
            headers[HTTPField.Name("Prefect-Automation-Name")!] = Data("nightly fixer".utf8).base64EncodedString()
            let run = try json(
                try await client.execute(
                    uri: "/api/flow_runs/",
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: #"{"flow_id":"\#(flowId)"}"#)
                )
            )
            #expect(
                run["created_by"]
                    == .object([("id", .string(automation)), ("type", .string("AUTOMATION")), ("display_value", .string("nightly fixer"))])
            )
            let count = try await post(
                client,
                "/api/flow_runs/count",
                #"{"flow_runs":{"created_by":{"type_":["AUTOMATION"],"id_":["\#(automation)"]}}}"#
            )
            #expect(String(buffer: count.body) == "1")
        }
    }

    @Test func concurrentWritersLoseNothing() async throws {
        try await withApp { client in
            let flowId = try id(try await post(client, "/api/flows/", #"{"name":"f"}"#))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        for j in 0..<25 {
                            let created = try await post(
                                client,
                                "/api/flow_runs/",
                                #"{"flow_id":"\#(flowId)","name":"r-\#(i)-\#(j)","idempotency_key":"k-\#(j % 10)-\#(i % 2)"}"#
                            )
                            guard created.status == .created || created.status == .ok else { throw UnexpectedResponse(created) }
                            let runId = try MoreRouteTests().id(created)
                            let set = try await post(client, "/api/flow_runs/\(runId)/set_state", #"{"state":{"type":"RUNNING"}}"#)
                            guard set.status == .created else { throw UnexpectedResponse(set) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            // 10 keys x 2 = 20 distinct idempotency keys: exactly 20 runs, each with a consistent history.
            #expect(String(buffer: try await post(client, "/api/flow_runs/count", "{}").body) == "20")
            let runs = try json(try await post(client, "/api/flow_runs/filter", "{}"))
            guard case .array(let list) = runs else {
                Issue.record("not a list")
                return
            }
            for run in list {
                guard case .number(let n)? = run["run_count"], let count = Int(n) else {
                    Issue.record("no run_count")
                    continue
                }
                #expect(count >= 1 && run["state_type"] == .string("RUNNING"))
            }
        }
    }
}
