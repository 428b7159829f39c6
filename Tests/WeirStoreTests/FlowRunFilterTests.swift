import Foundation
import Testing
import WeirModels

@testable import WeirStore

@Suite struct FlowRunFilterTests {
    let t0 = Timestamp(iso8601: "2026-01-01T00:00:00Z")!

    @Test func operatorsFilterAsTheReference() async throws {
        try await withStore { store in
            let (flowA, _) = try await store.flows.create(FlowCreate(name: "Alpha-Flow"))
            let (flowB, _) = try await store.flows.create(FlowCreate(name: "beta"))
            let a = try await store.run(flowA, name: "pct%run_x", tags: ["prod", "eu"], state: scheduled(t0), key: "k1")
            let b = try await store.run(flowA, name: "RUN-b", tags: ["prod"], state: StateCreate(type: .RUNNING))
            let c = try await store.run(flowB, name: "café", tags: [])
            func ids(_ body: String) async throws -> Set<UUID> { Set(try await store.flowRuns.filter(try runsQuery(body)).map(\.id)) }

            #expect(try await ids(#"{"flows":{"name":{"like_":"alpha"}}}"#) == [a.id, b.id])
            #expect(try await ids(#"{"flow_runs":{"name":{"like_":"RUN_X"}}}"#) == [a.id])
            #expect(try await ids(#"{"flow_runs":{"name":{"like_":"run_"}}}"#) == [a.id, b.id])
            #expect(try await ids(#"{"flow_runs":{"name":{"like_":"CAFÉ"}}}"#) == [])
            #expect(try await ids(#"{"flow_runs":{"tags":{"all_":["prod","eu"]}}}"#) == [a.id])
            #expect(try await ids(#"{"flow_runs":{"tags":{"any_":["eu","zz"]}}}"#) == [a.id])
            #expect(try await ids(#"{"flow_runs":{"tags":{"any_":[]}}}"#) == [])
            #expect(try await ids(#"{"flow_runs":{"tags":{"is_null_":true}}}"#) == [c.id])
            #expect(try await ids(#"{"flow_runs":{"state":{"type":{"any_":["RUNNING","SCHEDULED"]}}}}"#) == [a.id, b.id])
            #expect(try await ids(#"{"flow_runs":{"state":{"name":{"not_any_":["Running"]}}}}"#) == [a.id, c.id])
            #expect(try await ids(#"{"flow_runs":{"idempotency_key":{"not_any_":["other"]}}}"#) == [a.id])
            #expect(try await ids(#"{"flow_runs":{"id":{"not_any_":["\#(a.id.uuidString)"]}}}"#) == [b.id, c.id])
            #expect(try await ids(#"{"flow_runs":{"operator":"or_","name":{"any_":["RUN-b"]},"tags":{"is_null_":true}}}"#) == [b.id, c.id])
            #expect(try await ids(#"{"flow_runs":{"next_scheduled_start_time":{"before_":"2026-01-02"}}}"#) == [a.id])
            #expect(try await ids(#"{"deployments":{}}"#) == [])
            #expect(try await store.flowRuns.count(try countQuery(#"{"flows":{"name":{"any_":["beta"]}}}"#)) == 1)
        }
    }

    /// A tag's JSON text can occur inside another tag's (`x"prod` is stored as `"x\"prod"`): the
    /// text pre-test never decides a match alone.
    @Test func tagsMatchWholeTagsOnly() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "f"))
            let lookalike = try await store.run(flow, name: "lookalike", tags: [#"x"prod"#, #"eu"suffix"#, "é"])
            let real = try await store.run(flow, name: "real", tags: ["prod", "eu", #"a\b"#, "é"])
            func ids(_ body: String) async throws -> Set<UUID> { Set(try await store.flowRuns.filter(try runsQuery(body)).map(\.id)) }
            #expect(try await ids(#"{"flow_runs":{"tags":{"all_":["prod"]}}}"#) == [real.id])
            #expect(try await ids(#"{"flow_runs":{"tags":{"any_":["prod","eu"]}}}"#) == [real.id])
            #expect(try await ids(#"{"flow_runs":{"tags":{"all_":["x\"prod"]}}}"#) == [lookalike.id])
            #expect(try await ids(#"{"flow_runs":{"tags":{"all_":["a\\b","\u00e9"]}}}"#) == [real.id])
            #expect(try await ids(#"{"flow_runs":{"tags":{"any_":["é"]}}}"#) == [lookalike.id, real.id])
        }
    }

    /// SQLite looks for a task run filter's page among the first runs in order first (about a
    /// thousand), and falls back to the whole query when they hold less than a page.
    @Test func taskRunFiltersFindPagesBeyondTheFirstRuns() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "many"))
            func id(_ i: Int) -> String { String(format: "00000000-0000-4000-8000-%012d", i) }
            var lines = (0..<1_100).map { #"{"id":"\#(id($0))","name":"r\#($0)","flow_id":"\#(flow.id.lowercased)"}"# }
            func task(_ run: Int, _ state: String) -> String {
                #"{"id":"\#(UUID().lowercased)","name":"t","flow_run_id":"\#(id(run))","task_key":"t","dynamic_key":"0","state":{"type":"\#(state)","name":"x","timestamp":"2026-01-01T00:00:00Z"}}"#
            }
            lines += [task(0, "FAILED"), task(1_099, "FAILED"), task(5, "COMPLETED")]
            _ = try await store.imports.load(try lines.map { try ImportRecord.read(try JSONParser.parse($0)) })
            func names(_ body: String) async throws -> [String] { try await store.flowRuns.filter(try runsQuery(body)).map(\.name) }
            let failed = #""task_runs":{"state":{"type":{"any_":["FAILED"]}}}"#
            #expect(try await names("{\(failed),\"limit\":1}") == ["r1099"])
            #expect(try await names("{\(failed),\"limit\":2}") == ["r1099", "r0"])
            #expect(try await names("{\(failed),\"limit\":1,\"offset\":1}") == ["r0"])
            #expect(try await names("{\(failed),\"limit\":5,\"sort\":\"NAME_ASC\"}") == ["r0", "r1099"])
            #expect(try await names(#"{"task_runs":{"state":{"type":{"any_":["COMPLETED"]}}},"limit":3}"#) == ["r5"])
            #expect(try await names(#"{"task_runs":{"state":{"type":{"any_":["CRASHED"]}}},"limit":3}"#) == [])
            // With a test of the run itself too: probed in the window, then tested on the runs kept;
            // when the window holds no full page, the whole query finds it.
            #expect(try await names("{\(failed),\"flow_runs\":{\"name\":{\"like_\":\"r10\"}},\"limit\":1}") == ["r1099"])
            #expect(try await names("{\(failed),\"flow_runs\":{\"name\":{\"like_\":\"r0\"}},\"limit\":1}") == ["r0"])
            #expect(try await names("{\(failed),\"flow_runs\":{\"name\":{\"like_\":\"r0\"}},\"limit\":1,\"sort\":\"NAME_DESC\"}") == ["r0"])
        }
    }

    @Test func startTimeFiltersUseExpectedStartWhenNotStarted() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "f"))
            let early = try await store.run(flow, name: "early", state: scheduled(t0))
            let late = try await store.run(flow, name: "late", state: scheduled(t0.adding(seconds: 3600)))
            func ids(_ body: String) async throws -> [UUID] { try await store.flowRuns.filter(try runsQuery(body)).map(\.id) }
            #expect(try await ids(#"{"flow_runs":{"start_time":{"before_":"2026-01-01T00:30:00Z"}}}"#) == [early.id])
            #expect(try await ids(#"{"flow_runs":{"start_time":{"after_":"2026-01-01T00:30:00+00:00"}}}"#) == [late.id])
            #expect(Set(try await ids(#"{"flow_runs":{"start_time":{"is_null_":true}}}"#)) == [early.id, late.id])
        }
    }

    @Test func sortsPlaceNullsAsSQLiteAndBreakTiesById() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "f"))
            let s1 = try await store.run(flow, name: "b", state: scheduled(t0.adding(seconds: 10)))
            let s2 = try await store.run(flow, name: "a", state: scheduled(t0.adding(seconds: 20)))
            let done = try await store.run(flow, name: "c", state: StateCreate(type: .COMPLETED))
            let tie1 = try await store.run(flow, name: "same")
            let tie2 = try await store.run(flow, name: "same")
            func names(_ sort: FlowRunSort) async throws -> [UUID] {
                try await store.flowRuns.filter(try runsQuery(#"{"sort":"\#(sort.rawValue)"}"#)).map(\.id)
            }
            let byNext = try await names(.NEXT_SCHEDULED_START_TIME_ASC)
            #expect(Array(byNext.suffix(2)) == [s1.id, s2.id])
            #expect(try await names(.END_TIME_DESC).first == done.id)
            let byName = try await names(.NAME_ASC)
            let ties = [tie1.id, tie2.id].sorted { $0.uuidString.lowercased() < $1.uuidString.lowercased() }
            #expect(byName == [s2.id, s1.id, done.id] + ties)
            #expect(try await names(.NAME_DESC) == (byName.reversed()))
            #expect(
                try await names(.ID_DESC) == [s1, s2, done, tie1, tie2].map(\.id).sorted { $0.uuidString.lowercased() > $1.uuidString.lowercased() }
            )
            let paged = try await store.flowRuns.filter(try runsQuery(#"{"sort":"NAME_ASC","limit":2,"offset":2}"#)).map(\.id)
            #expect(paged == Array(byName[2..<4]))
        }
    }

    @Test func poolsAndQueuesJoinThroughTheQueueId() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "f"))
            _ = try await store.workPools.create(
                try #require(WorkPoolCreate.read(JSONField(value: try JSONParser.parse(#"{"name":"pool"}"#), loc: [], context: ValidationContext())))
            )
            let pooled = try await store.run(flow, name: "p", pool: "pool")
            let named = try await store.run(flow, name: "n", queue: "default")
            #expect(pooled.workQueueName == "default" && pooled.workPoolName == "pool")
            #expect(named.workPoolName == nil && named.workQueueId == nil)
            func ids(_ body: String) async throws -> Set<UUID> { Set(try await store.flowRuns.filter(try runsQuery(body)).map(\.id)) }
            #expect(try await ids(#"{"work_pools":{"name":{"any_":["pool"]}}}"#) == [pooled.id])
            #expect(try await ids(#"{"work_pool_queues":{"name":{"startswith_":["DEF"]}}}"#) == [pooled.id])
            #expect(try await ids(#"{"flow_runs":{"work_queue_name":{"any_":["default"]}}}"#) == [named.id])
            #expect(try await ids(#"{"flow_runs":{"work_queue_name":{"is_null_":true}}}"#) == [pooled.id])
            await #expect(throws: StoreError.self) { _ = try await store.run(flow, name: "x", pool: "nope") }
        }
    }

    @Test func idempotencyKeyReturnsTheExistingRun() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "f"))
            let first = try await store.run(flow, name: "one", key: "k")
            let second = try await store.run(flow, name: "two", key: "k")
            #expect(first.id == second.id && second.name == "one")
            #expect(try await store.flowRuns.count(try countQuery("{}")) == 1)
        }
    }

    @Test func taskRunFiltersNeedTheSameTaskRun() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "f"))
            let run = try await store.run(flow, name: "r")
            let other = try await store.run(flow, name: "other")
            func task(_ key: String, _ state: StateType) async throws -> TaskRun {
                let c = TaskRunCreate(
                    id: nil,
                    state: StateCreate(type: state),
                    name: key,
                    flowRunId: run.id,
                    taskKey: key,
                    dynamicKey: "0",
                    cacheKey: nil,
                    cacheExpiration: nil,
                    taskVersion: nil,
                    empiricalPolicy: .emptyObject,
                    tags: ["t-\(key)"],
                    labels: .emptyObject,
                    taskInputs: .emptyObject
                )
                return try await store.taskRuns.create(c).0
            }
            _ = try await task("a", .COMPLETED)
            _ = try await task("b", .FAILED)
            func ids(_ body: String) async throws -> Set<UUID> { Set(try await store.flowRuns.filter(try runsQuery(body)).map(\.id)) }
            #expect(try await ids(#"{"task_runs":{}}"#) == [run.id])
            #expect(try await ids(#"{"task_runs":{"state":{"type":{"any_":["COMPLETED"]}},"tags":{"all_":["t-a"]}}}"#) == [run.id])
            #expect(try await ids(#"{"task_runs":{"state":{"type":{"any_":["COMPLETED"]}},"tags":{"all_":["t-b"]}}}"#) == [])
            #expect(!(try await ids("{}")).isDisjoint(with: [other.id]))
        }
    }

    @Test func setStateKeepsHistoryAndBookkeeping() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "f"))
            let run = try await store.run(flow, name: "r", state: scheduled(t0), at: t0)
            _ = try await store.flowRuns.setState(run.id, SetStateRequest(state: StateCreate(type: .RUNNING)), now: t0.adding(seconds: 5))
            let result = try #require(
                try await store.flowRuns.setState(
                    run.id,
                    SetStateRequest(state: StateCreate(type: .COMPLETED), force: true),
                    now: t0.adding(seconds: 7)
                )
            )
            #expect(result.status == .ACCEPT && result.wroteState && result.state?.stateDetails.flowRunId == run.id)
            let after = try #require(try await store.flowRuns.get(run.id))
            #expect(
                after.runCount == 1 && after.totalRunTime == 2 && after.startTime == t0.adding(seconds: 5) && after.endTime == t0.adding(seconds: 7)
            )
            #expect(after.expectedStartTime == t0 && after.nextScheduledStartTime == nil && after.stateName == "Completed")
            #expect(try await store.flowRuns.setState(UUID(), SetStateRequest(state: StateCreate(type: .RUNNING))) == nil)
        }
    }
}
