import Foundation
import Testing
import WeirModels

@testable import WeirStore

/// `weir import`: runs in the API's read shape load as they were, and read back the same.
@Suite struct ImportTests {
    let t0 = Timestamp(microseconds: 1_780_000_000_000_000)

    func record(_ text: String) throws -> ImportRecord { try ImportRecord.read(try JSONParser.parse(text)) }

    @Test func importedRunsReadBackAsExported() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "imported"), now: t0)
            let pool = try #require(
                WorkPoolCreate.read(
                    JSONField(value: try JSONParser.parse(#"{"name":"pool-a","type":"process"}"#), loc: [], context: ValidationContext())
                )
            )
            _ = try await store.workPools.create(pool, now: t0)
            let runId = UUID().lowercased
            let stateId = UUID().lowercased
            let taskId = UUID().lowercased
            let lines = [
                #"{"id":"\#(runId)","created":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:02:00Z","name":"old-run","flow_id":"\#(flow.id.lowercased)","tags":["prod","eu"],"parameters":{"x":1},"work_pool_name":"pool-a","state_type":"COMPLETED","state_name":"Completed","state":{"id":"\#(stateId)","type":"COMPLETED","name":"Completed","timestamp":"2026-01-01T00:01:30Z","message":"done","state_details":{}},"run_count":1,"expected_start_time":"2026-01-01T00:00:00Z","start_time":"2026-01-01T00:00:30Z","end_time":"2026-01-01T00:01:30Z","total_run_time":60.0}"#,
                #"{"id":"\#(taskId)","name":"t-0","flow_run_id":"\#(runId)","task_key":"t","dynamic_key":"0","state":{"type":"FAILED","name":"Failed","timestamp":"2026-01-01T00:01:00Z"},"run_count":1}"#,
            ]
            let outcome = try await store.imports.load(try lines.map(record))
            #expect(outcome == ImportRepository.Outcome(flowRuns: 1, taskRuns: 1, skipped: 0))

            let run = try #require(try await store.flowRuns.get(UUID(uuidString: runId)!))
            #expect(run.name == "old-run" && run.tags == ["prod", "eu"] && run.stateType == .COMPLETED && run.stateId?.lowercased == stateId)
            #expect(run.workPoolName == "pool-a" && run.workQueueName == "default" && run.totalRunTime == 60 && run.runCount == 1)
            #expect(run.startTime == Timestamp(iso8601: "2026-01-01T00:00:30Z"))
            #expect(try await store.states.history(kind: .flow, runId: run.id).map(\.message) == ["done"])
            let failedTasks = try await store.flowRuns.count(try countQuery(#"{"task_runs":{"state":{"type":{"any_":["FAILED"]}}}}"#))
            #expect(failedTasks == 1)
            let tagged = try await store.flowRuns.filter(
                try runsQuery(#"{"flow_runs":{"tags":{"all_":["eu","prod"]}},"work_pools":{"name":{"any_":["pool-a"]}}}"#)
            )
            #expect(tagged.map(\.id) == [run.id])

            // Importing the same lines again changes nothing.
            #expect(try await store.imports.load(try lines.map(record)) == ImportRepository.Outcome(flowRuns: 0, taskRuns: 0, skipped: 2))
            #expect(try await store.flowRuns.count(try countQuery("{}")) == 1)
        }
    }

    @Test func aBatchWithAnUnknownFlowWritesNothing() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "known"), now: t0)
            let good = try record(#"{"id":"\#(UUID().lowercased)","name":"ok","flow_id":"\#(flow.id.lowercased)"}"#)
            let bad = try record(#"{"id":"\#(UUID().lowercased)","name":"orphan","flow_id":"\#(UUID().lowercased)"}"#)
            await #expect(throws: StoreError.self) { try await store.imports.load([good, bad]) }
            #expect(try await store.flowRuns.count(try countQuery("{}")) == 0)
        }
    }

    @Test func linesWithoutIdsAreRejectedWithTheirLocation() throws {
        #expect(throws: ValidationFailure.self) { try record(#"{"name":"no id","flow_id":"6a1e0f1c-3c4b-4f0e-9a55-1f2d3c4b5a69"}"#) }
        #expect(throws: ValidationFailure.self) { try record(#"{"id":"6a1e0f1c-3c4b-4f0e-9a55-1f2d3c4b5a69","name":"no flow"}"#) }
    }
}
