import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WeirModels

@testable import WeirServer

@Suite struct LifecycleRouteTests {
    func id(_ response: TestResponse) throws -> String {
        guard case .string(let s)? = try json(response)["id"] else { throw CancellationError() }
        return s
    }

    @Test func logsAreStoredFilteredAndDeletedWithTheirRun() async throws {
        try await withApp { client in
            let flowId = try id(try await post(client, "/api/flows/", #"{"name":"f"}"#))
            let runId = try id(try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(flowId)"}"#))
            let batch = """
                [{"name":"prefect.flow_runs","level":20,"message":"Beginning flow run","timestamp":"2026-01-01T00:00:01Z","flow_run_id":"\(runId)","task_run_id":null},
                 {"name":"prefect.task_runs","level":40,"message":"Task failed: 100% broken","timestamp":"2026-01-01T00:00:02Z","flow_run_id":"\(runId)","task_run_id":null},
                 {"name":"other","level":10,"message":"debug noise","timestamp":"2026-01-01T00:00:03Z","flow_run_id":null,"task_run_id":null}]
                """
            let created = try await post(client, "/api/logs/", batch)
            #expect(created.status == .created)
            func messages(_ body: String) async throws -> [JSONValue?] {
                guard case .array(let logs) = try json(try await post(client, "/api/logs/filter", body)) else { return [] }
                return logs.map { $0["message"] }
            }
            #expect(try await messages(#"{"logs":{"flow_run_id":{"any_":["\#(runId)"]}}}"#).count == 2)
            #expect(try await messages(#"{"logs":{"level":{"ge_":30}}}"#) == [.string("Task failed: 100% broken")])
            #expect(try await messages(#"{"logs":{"text":{"query":"100%"}}}"#) == [.string("Task failed: 100% broken")])
            #expect(try await messages(#"{"logs":{"text":{"query":"10_%"}}}"#) == [])
            #expect(
                try await messages(#"{"logs":{"text":{"query":"-noise"}},"sort":"TIMESTAMP_DESC"}"#) == [
                    .string("Task failed: 100% broken"), .string("Beginning flow run"),
                ]
            )
            #expect(
                try await messages(#"{"logs":{"timestamp":{"after_":"2026-01-01T00:00:02Z"}},"limit":1}"#) == [.string("Task failed: 100% broken")]
            )
            #expect(try await post(client, "/api/logs/", #"[{"name":"x"}]"#).status == .unprocessableContent)
            #expect(try await client.execute(uri: "/api/flow_runs/\(runId)", method: .delete).status == .noContent)
            #expect(try await messages("{}") == [.string("debug noise")])
            #expect(try await client.execute(uri: "/api/flow_runs/\(runId)", method: .delete).status == .notFound)
        }
    }

    @Test func stateHistoriesAreReadable() async throws {
        try await withApp { client in
            let flowId = try id(try await post(client, "/api/flows/", #"{"name":"f"}"#))
            let runId = try id(try await post(client, "/api/flow_runs/", #"{"flow_id":"\#(flowId)"}"#))
            _ = try await post(client, "/api/flow_runs/\(runId)/set_state", #"{"state":{"type":"RUNNING"}}"#)
            _ = try await post(client, "/api/flow_runs/\(runId)/set_state", #"{"state":{"type":"COMPLETED"}}"#)
            guard case .array(let states) = try json(try await client.execute(uri: "/api/flow_run_states/?flow_run_id=\(runId)", method: .get)) else {
                Issue.record("not a list")
                return
            }
            #expect(states.map { $0["type"] } == [.string("PENDING"), .string("RUNNING"), .string("COMPLETED")])
            guard case .string(let stateId)? = states[1]["id"] else { return }
            #expect(try json(try await client.execute(uri: "/api/flow_run_states/\(stateId)", method: .get))["name"] == .string("Running"))
            #expect(try await client.execute(uri: "/api/flow_run_states/\(UUID().uuidString)", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/flow_run_states/", method: .get).status == .unprocessableContent)
            let taskId = try id(
                try await post(client, "/api/task_runs/", #"{"name":"t","flow_run_id":"\#(runId)","task_key":"k","dynamic_key":"0"}"#)
            )
            guard case .array(let taskStates) = try json(try await client.execute(uri: "/api/task_run_states/?task_run_id=\(taskId)", method: .get))
            else { return }
            #expect(taskStates.count == 1)
            #expect(try await client.execute(uri: "/api/task_runs/\(taskId)", method: .delete).status == .noContent)
            #expect(try await client.execute(uri: "/api/task_runs/\(taskId)", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/flows/\(flowId)", method: .delete).status == .noContent)
            #expect(try await client.execute(uri: "/api/flow_runs/\(runId)", method: .get).status == .notFound)
        }
    }
}
