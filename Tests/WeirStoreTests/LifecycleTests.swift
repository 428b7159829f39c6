import Foundation
import Testing
import WeirModels
import WeirOrchestration

@testable import WeirStore

/// Whole run lifecycles through the store and the core policies.
@Suite struct LifecycleTests {
    let t0 = Timestamp(iso8601: "2026-01-01T00:00:00Z")!

    func propose(
        _ store: Store,
        _ id: UUID,
        _ type: StateType,
        name: String? = nil,
        at seconds: Double,
        force: Bool = false,
        details: StateDetails = StateDetails(),
        data: JSONValue? = nil
    ) async throws -> OrchestrationResult {
        try #require(
            try await store.flowRuns.setState(
                id,
                SetStateRequest(state: StateCreate(type: type, name: name, data: data, stateDetails: details), force: force),
                now: t0.adding(seconds: seconds)
            )
        )
    }

    func flowRun(_ store: Store, retries: Int? = nil, retryDelay: Int? = nil, state: StateCreate? = nil) async throws -> FlowRun {
        let (flow, _) = try await store.flows.create(FlowCreate(name: "lifecycle"), now: t0)
        var c = FlowRunCreate()
        c.flowId = flow.id
        c.empiricalPolicy.retries = retries
        c.empiricalPolicy.retryDelay = retryDelay
        c.state = state
        return try await store.flowRuns.create(c, createdBy: nil, now: t0).0
    }

    @Test func scheduledToCompleted() async throws {
        try await withStore { store in
            let run = try await flowRun(store, state: scheduled(t0.adding(seconds: 10)))
            #expect(try await propose(store, run.id, .PENDING, at: 11).status == .ACCEPT)
            #expect(try await propose(store, run.id, .RUNNING, at: 12).status == .ACCEPT)
            #expect(try await propose(store, run.id, .COMPLETED, at: 20).status == .ACCEPT)
            let after = try #require(try await store.flowRuns.get(run.id))
            #expect(after.runCount == 1 && after.totalRunTime == 8 && after.expectedStartTime == t0.adding(seconds: 10))
            #expect(after.estimatedStartTimeDelta(now: t0.adding(seconds: 99)) == 2)
            let history = try await store.states.history(kind: .flow, runId: run.id).map(\.type)
            #expect(history == [.SCHEDULED, .PENDING, .RUNNING, .COMPLETED])
        }
    }

    @Test func failureWithRetries() async throws {
        try await withStore { store in
            let run = try await flowRun(store, retries: 1, retryDelay: 5)
            _ = try await propose(store, run.id, .RUNNING, at: 1)
            let retry = try await propose(store, run.id, .FAILED, at: 2)
            #expect(retry.status == .REJECT && retry.state?.name == "AwaitingRetry" && retry.wroteState)
            let early = try await propose(store, run.id, .RUNNING, at: 3)
            #expect(early.status == .WAIT && early.delaySeconds == 4 && !early.wroteState)
            #expect(try await propose(store, run.id, .RUNNING, at: 8).status == .ACCEPT)
            #expect(try await propose(store, run.id, .FAILED, at: 9).status == .ACCEPT)
            let after = try #require(try await store.flowRuns.get(run.id))
            #expect(after.runCount == 2 && after.stateType == .FAILED)
        }
    }

    @Test func crashAndRerun() async throws {
        try await withStore { store in
            let run = try await flowRun(store)
            _ = try await propose(store, run.id, .RUNNING, at: 1)
            #expect(try await propose(store, run.id, .CRASHED, at: 2).status == .ACCEPT)
            #expect(try await propose(store, run.id, .CANCELLING, at: 3).status == .ABORT)
            #expect(try await propose(store, run.id, .RUNNING, at: 4).status == .ACCEPT)
            let after = try #require(try await store.flowRuns.get(run.id))
            #expect(after.runCount == 2 && after.endTime == nil)
        }
    }

    @Test func pauseAndResume() async throws {
        try await withStore { store in
            let run = try await flowRun(store)
            _ = try await propose(store, run.id, .RUNNING, at: 1)
            var details = StateDetails()
            details.pauseKey = "approval"
            details.pauseTimeout = t0.adding(seconds: 3600)
            #expect(try await propose(store, run.id, .PAUSED, at: 2, details: details).status == .ACCEPT)
            let resumed = try #require(try await store.flowRuns.resume(run.id, now: t0.adding(seconds: 3)))
            #expect(resumed.status == .ACCEPT && resumed.state?.type == .RUNNING)
            #expect(try await propose(store, run.id, .PAUSED, at: 4, details: details).status == .REJECT)
            let after = try #require(try await store.flowRuns.get(run.id))
            #expect(after.runCount == 2 && after.stateType == .RUNNING)
            #expect(try await store.flowRuns.resume(run.id, now: t0.adding(seconds: 5))?.status == .ABORT)
        }
    }

    @Test func cancellingScheduledAndRunningRuns() async throws {
        try await withStore { store in
            let waiting = try await flowRun(store, state: scheduled(t0.adding(seconds: 3600)))
            let cancelled = try await propose(store, waiting.id, .CANCELLING, at: 1)
            #expect(cancelled.status == .REJECT && cancelled.state?.type == .CANCELLED)
            let running = try await flowRun(store)
            _ = try await propose(store, running.id, .RUNNING, at: 1)
            #expect(try await propose(store, running.id, .CANCELLING, at: 2).status == .ACCEPT)
            #expect(try await propose(store, running.id, .COMPLETED, at: 3).status == .REJECT)
            #expect(try await propose(store, running.id, .CANCELLED, at: 4, force: true).status == .ACCEPT)
            let a = try #require(try await store.flowRuns.get(waiting.id))
            #expect(a.runCount == 0 && a.startTime == a.endTime && a.endTime != nil)
        }
    }

    @Test func taskServedFromTheCache() async throws {
        try await withStore { store in
            let run = try await flowRun(store)
            _ = try await propose(store, run.id, .RUNNING, at: 1)
            func task(_ key: String) async throws -> TaskRun {
                try await store.taskRuns.create(
                    TaskRunCreate(
                        id: nil,
                        state: nil,
                        name: key,
                        flowRunId: run.id,
                        taskKey: key,
                        dynamicKey: "0",
                        cacheKey: nil,
                        cacheExpiration: nil,
                        taskVersion: nil,
                        empiricalPolicy: .emptyObject,
                        tags: [],
                        labels: .emptyObject,
                        taskInputs: .emptyObject
                    ),
                    now: t0
                ).0
            }
            var details = StateDetails()
            details.cacheKey = "expensive-result"
            let first = try await task("a")
            _ = try await store.taskRuns.setState(
                first.id,
                SetStateRequest(state: StateCreate(type: .RUNNING, stateDetails: details)),
                now: t0.adding(seconds: 2)
            )
            let result = JSONValue.object([("storage_key", .string("/results/1"))])
            _ = try await store.taskRuns.setState(
                first.id,
                SetStateRequest(state: StateCreate(type: .COMPLETED, data: result, stateDetails: details)),
                now: t0.adding(seconds: 3)
            )
            let second = try await task("b")
            let cached = try #require(
                try await store.taskRuns.setState(
                    second.id,
                    SetStateRequest(state: StateCreate(type: .RUNNING, stateDetails: details)),
                    now: t0.adding(seconds: 4)
                )
            )
            #expect(cached.status == .REJECT && cached.state?.type == .COMPLETED && cached.state?.name == "Cached" && cached.state?.data == result)
            var refresh = details
            refresh.refreshCache = true
            let third = try await task("c")
            #expect(
                try await store.taskRuns.setState(
                    third.id,
                    SetStateRequest(state: StateCreate(type: .RUNNING, stateDetails: refresh)),
                    now: t0.adding(seconds: 5)
                )?.status == .ACCEPT
            )
        }
    }

    /// Many clients proposing states to the same runs at once: every run ends with a history the
    /// policy accepts step by step, and bookkeeping that agrees with that history.
    @Test func concurrentProposalsKeepConsistentHistories() async throws {
        try await withStore { store in
            var runs: [UUID] = []
            for _ in 0..<4 { runs.append(try await flowRun(store).id) }
            let ids = runs
            let choices: [StateType] = [.RUNNING, .COMPLETED, .FAILED, .PENDING, .CRASHED, .RUNNING, .CANCELLING, .CANCELLED]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for step in 0..<30 {
                            let id = ids[(worker + step) % ids.count]
                            let type = choices[(worker * 7 + step * 3) % choices.count]
                            _ = try await store.flowRuns.setState(id, SetStateRequest(state: StateCreate(type: type), force: step % 5 == 0))
                        }
                    }
                }
                try await group.waitForAll()
            }
            for id in ids {
                let run = try #require(try await store.flowRuns.get(id))
                let history = try await store.states.history(kind: .flow, runId: id)
                #expect(history.last?.id == run.stateId && history.last?.type == run.stateType)
                #expect(zip(history, history.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
                // start_time is stamped by the first RUNNING state, or by a final state reached without running.
                #expect(run.startTime == history.first { $0.type == .RUNNING || $0.type.isFinal }?.timestamp)
                #expect(run.runCount == history.filter { $0.type == .RUNNING }.count)
                #expect((run.endTime == nil) == !(run.stateType?.isFinal ?? false))
            }
        }
    }
}
