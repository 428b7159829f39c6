import Foundation
import Testing
import WeirModels

@testable import WeirOrchestration

/// One row of a rule table: the run's current state, the proposal, and what the policy decides.
struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var initial: StateType?
    var initialName: String? = nil
    var proposed: StateType
    var proposedName: String? = nil
    var force = false
    var kind: RunKind = .flow
    var prepare: @Sendable (inout Transition) -> Void = { _ in }
    var status: SetStateStatus
    var resultType: StateType?
    var resultName: String? = nil
    var reason: String? = nil

    var testDescription: String { name }
}

let t0 = Timestamp(iso8601: "2026-01-01T00:00:00Z")!

func decide(_ c: Case) -> Transition {
    var run = RunBookkeeping(
        id: UUID(),
        kind: c.kind,
        flowRunId: c.kind == .task ? UUID() : nil,
        flowRunPolicy: c.kind == .flow ? FlowRunPolicy() : nil
    )
    run.stateType = c.initial
    let initial = c.initial.map {
        State(id: UUID(), type: $0, name: c.initialName ?? $0.defaultName, timestamp: t0, message: nil, data: nil, stateDetails: StateDetails())
    }
    let proposed = State(
        id: UUID(),
        type: c.proposed,
        name: c.proposedName ?? c.proposed.defaultName,
        timestamp: t0.adding(seconds: 1),
        message: nil,
        data: nil,
        stateDetails: StateDetails()
    )
    var t = Transition(run: run, initial: initial, proposed: proposed, now: t0.adding(seconds: 1))
    c.prepare(&t)
    let policy = c.kind == .flow ? (c.force ? Policies.minimalFlow : Policies.coreFlow) : (c.force ? Policies.minimalTask : Policies.coreTask)
    policy.apply(to: &t)
    return t
}

/// Decides a row and checks the decision against it.
func check(_ c: Case) {
    let t = decide(c)
    #expect(t.status == c.status)
    #expect(t.proposed?.type == c.resultType)
    if let name = c.resultName { #expect(t.proposed?.name == name) }
    if let reason = c.reason { #expect(t.reason == reason) }
}

func withInitial(_ t: inout Transition, _ change: (inout State) -> Void) {
    guard var s = t.initial else { return }
    change(&s)
    t = Transition(run: t.run, initial: s, proposed: t.proposed!, now: t.now)
}

@Suite struct FlowRuleTests {
    static let persisted = JSONValue.object([("storage_key", .string("/x"))])

    static let cases: [Case] = [
        Case(name: "pending to running", initial: .PENDING, proposed: .RUNNING, status: .ACCEPT, resultType: .RUNNING),
        Case(name: "no state to running", initial: nil, proposed: .RUNNING, status: .ACCEPT, resultType: .RUNNING),
        Case(
            name: "duplicate transition id",
            initial: .RUNNING,
            proposed: .COMPLETED,
            prepare: { t in
                let id = UUID()
                withInitial(&t) { $0.stateDetails.transitionId = id }
                t.proposed?.stateDetails.transitionId = id
            },
            status: .REJECT,
            resultType: nil,
            reason: "This run has already made this state transition."
        ),
        Case(
            name: "final to cancelling aborts",
            initial: .FAILED,
            proposed: .CANCELLING,
            status: .ABORT,
            resultType: nil,
            reason: "Run is already in terminal state FAILED."
        ),
        Case(
            name: "persisted completed stays",
            initial: .COMPLETED,
            proposed: .RUNNING,
            prepare: { t in withInitial(&t) { $0.data = persisted } },
            status: .REJECT,
            resultType: nil,
            reason: "Run is already COMPLETED."
        ),
        Case(name: "unpersisted completed reruns", initial: .COMPLETED, proposed: .RUNNING, status: .ACCEPT, resultType: .RUNNING),
        Case(
            name: "final cannot reschedule without deployment",
            initial: .COMPLETED,
            proposed: .SCHEDULED,
            status: .ABORT,
            resultType: nil,
            reason: "Cannot reschedule a run without an associated deployment."
        ),
        Case(
            name: "cancelling only to cancelled",
            initial: .CANCELLING,
            proposed: .PENDING,
            status: .REJECT,
            resultType: nil,
            reason: "Cannot transition flows that are cancelling to a state other than Cancelled."
        ),
        Case(name: "cancelling to cancelled", initial: .CANCELLING, proposed: .CANCELLED, status: .ACCEPT, resultType: .CANCELLED),
        Case(
            name: "cancel scheduled without infrastructure",
            initial: .SCHEDULED,
            proposed: .CANCELLING,
            status: .REJECT,
            resultType: .CANCELLED,
            reason: "Scheduled flow run has no infrastructure to terminate."
        ),
        Case(
            name: "cancel scheduled with infrastructure",
            initial: .SCHEDULED,
            proposed: .CANCELLING,
            prepare: { $0.run.infrastructurePid = "123" },
            status: .ACCEPT,
            resultType: .CANCELLING
        ),
        Case(
            name: "forced cancel scheduled still bypassed",
            initial: .SCHEDULED,
            proposed: .CANCELLING,
            force: true,
            status: .REJECT,
            resultType: .CANCELLED
        ),
        Case(
            name: "pending to submitting",
            initial: .PENDING,
            proposed: .PENDING,
            proposedName: "Submitting",
            status: .ACCEPT,
            resultType: .PENDING,
            resultName: "Submitting"
        ),
        Case(
            name: "pending to pending",
            initial: .PENDING,
            proposed: .PENDING,
            status: .ABORT,
            resultType: nil,
            reason: "This run is in a PENDING state and cannot transition to a PENDING state."
        ),
        Case(
            name: "running to pending",
            initial: .RUNNING,
            proposed: .PENDING,
            status: .ABORT,
            resultType: nil,
            reason: "This run is in a RUNNING state and cannot transition to a PENDING state."
        ),
        Case(
            name: "late only when scheduled",
            initial: .RUNNING,
            proposed: .SCHEDULED,
            proposedName: "Late",
            status: .REJECT,
            resultType: nil,
            reason: "Only scheduled flows can be marked late."
        ),
        Case(
            name: "late once",
            initial: .SCHEDULED,
            initialName: "Late",
            proposed: .SCHEDULED,
            proposedName: "Late",
            status: .REJECT,
            resultType: nil,
            reason: "This flow run is already marked late."
        ),
        Case(
            name: "pause needs a running flow",
            initial: .PENDING,
            proposed: .PAUSED,
            status: .REJECT,
            resultType: nil,
            reason: "Cannot pause flows that are not currently running."
        ),
        Case(
            name: "pause without state",
            initial: nil,
            proposed: .PAUSED,
            status: .ABORT,
            resultType: nil,
            reason: "Cannot pause flows with no state."
        ),
        Case(
            name: "pause key fires once",
            initial: .RUNNING,
            proposed: .PAUSED,
            prepare: { t in
                t.run.flowRunPolicy?.pauseKeys = ["k"]
                t.proposed?.stateDetails.pauseKey = "k"
            },
            status: .REJECT,
            resultType: nil,
            reason: "This pause has already fired."
        ),
        Case(
            name: "suspend needs a deployment",
            initial: .RUNNING,
            proposed: .PAUSED,
            proposedName: "Suspended",
            prepare: { $0.proposed?.stateDetails.pauseReschedule = true },
            status: .ABORT,
            resultType: nil,
            reason: "Cannot suspend flows without a deployment."
        ),
        Case(
            name: "paused only to running-like states",
            initial: .PAUSED,
            proposed: .PENDING,
            status: .REJECT,
            resultType: nil,
            reason: "This run cannot transition to the StateType.PENDING state from the StateType.PAUSED state."
        ),
        Case(
            name: "expired pause fails",
            initial: .PAUSED,
            proposed: .RUNNING,
            prepare: { t in withInitial(&t) { $0.stateDetails.pauseTimeout = t0.adding(seconds: -60) } },
            status: .REJECT,
            resultType: .FAILED,
            reason: "The flow run pause has timed out and can no longer resume."
        ),
        Case(
            name: "scheduled in the future waits",
            initial: .SCHEDULED,
            proposed: .RUNNING,
            prepare: { t in withInitial(&t) { $0.stateDetails.scheduledTime = t0.adding(seconds: 30) } },
            status: .WAIT,
            resultType: nil,
            reason: "Scheduled time is in the future"
        ),
        Case(
            name: "scheduled less than half a second ahead runs",
            initial: .PENDING,
            proposed: .RUNNING,
            prepare: { t in withInitial(&t) { $0.stateDetails.scheduledTime = t0.adding(seconds: 1.4) } },
            status: .ACCEPT,
            resultType: .RUNNING
        ),
        Case(
            name: "failed flow with retries",
            initial: .RUNNING,
            proposed: .FAILED,
            prepare: { t in
                t.run.flowRunPolicy?.retries = 2
                t.run.runCount = 1
            },
            status: .REJECT,
            resultType: .SCHEDULED,
            resultName: "AwaitingRetry",
            reason: "Retrying"
        ),
        Case(
            name: "failed flow with retries exhausted",
            initial: .RUNNING,
            proposed: .FAILED,
            prepare: { t in
                t.run.flowRunPolicy?.retries = 1
                t.run.runCount = 2
            },
            status: .ACCEPT,
            resultType: .FAILED
        ),
        Case(
            name: "forced completed over persisted result is rejected",
            initial: .COMPLETED,
            proposed: .COMPLETED,
            force: true,
            prepare: { t in withInitial(&t) { $0.data = persisted } },
            status: .REJECT,
            resultType: nil,
            reason: "Cannot overwrite a COMPLETED state that carries persisted result data with one that does not."
        ),
        Case(
            name: "forced rerun of persisted result",
            initial: .COMPLETED,
            proposed: .RUNNING,
            force: true,
            prepare: { t in withInitial(&t) { $0.data = persisted } },
            status: .ACCEPT,
            resultType: .RUNNING
        ),
    ]

    @Test(arguments: cases)
    func decides(_ c: Case) { check(c) }

    @Test func retryStateCarriesTheFailureAndTheDelay() {
        var c = FlowRuleTests.cases.first { $0.name == "failed flow with retries" }!
        c.prepare = { t in
            t.run.flowRunPolicy?.retries = 2
            t.run.flowRunPolicy?.retryDelay = 10
            t.run.runCount = 1
            t.proposed?.message = "boom"
        }
        let t = decide(c)
        #expect(t.proposed?.message == "boom" && t.proposed?.stateDetails.scheduledTime == t0.adding(seconds: 11))
        #expect(t.run.flowRunPolicy?.retryType == "in_process" && t.run.nextScheduledStartTime == t0.adding(seconds: 11))
    }

    @Test func waitReportsWholeSeconds() {
        let c = FlowRuleTests.cases.first { $0.name == "scheduled in the future waits" }!
        #expect(decide(c).delaySeconds == 29)
    }

    @Test func resumingIsNotCountedAsANewRun() {
        var c = Case(name: "resume", initial: .PAUSED, proposed: .RUNNING, status: .ACCEPT, resultType: .RUNNING)
        c.prepare = { $0.run.runCount = 1 }
        let t = decide(c)
        #expect(t.run.runCount == 2 && t.run.flowRunPolicy?.resuming == true)
        var next = Transition(
            run: t.run,
            initial: t.proposed,
            proposed: State(
                id: UUID(),
                type: .PAUSED,
                name: "Paused",
                timestamp: t0.adding(seconds: 2),
                message: nil,
                data: nil,
                stateDetails: StateDetails()
            ),
            now: t0.adding(seconds: 2)
        )
        Policies.coreFlow.apply(to: &next)
        #expect(next.status == .ACCEPT && next.run.flowRunPolicy?.pauseKeys.count == 1)
    }

    @Test func rerunFromFinalStateClearsPauseAndRetryBookkeeping() {
        var c = Case(name: "rerun", initial: .FAILED, proposed: .RUNNING, status: .ACCEPT, resultType: .RUNNING)
        c.prepare = { t in
            t.run.flowRunPolicy?.pauseKeys = ["a"]
            t.run.flowRunPolicy?.retryType = "in_process"
            t.run.endTime = t0
        }
        let t = decide(c)
        #expect(t.run.flowRunPolicy?.pauseKeys == [] && t.run.flowRunPolicy?.retryType == nil && t.run.endTime == nil)
    }
}

@Suite struct TaskRuleTests {
    static func flowRun(_ type: StateType?, runCount: Int = 1) -> @Sendable (inout Transition) -> Void {
        { t in
            t.flowRun = EnclosingFlowRun(
                id: UUID(),
                runCount: runCount,
                state: type.map {
                    State(id: UUID(), type: $0, name: $0.defaultName, timestamp: t0, message: nil, data: nil, stateDetails: StateDetails())
                }
            )
        }
    }

    static let cases: [Case] = [
        Case(
            name: "task runs in a running flow",
            initial: .PENDING,
            proposed: .RUNNING,
            kind: .task,
            prepare: flowRun(.RUNNING),
            status: .ACCEPT,
            resultType: .RUNNING
        ),
        Case(
            name: "task in a pending flow aborts",
            initial: .PENDING,
            proposed: .RUNNING,
            kind: .task,
            prepare: flowRun(.PENDING),
            status: .ABORT,
            resultType: nil,
            reason: "The enclosing flow must be running to begin task execution."
        ),
        Case(
            name: "task in a stateless flow aborts",
            initial: .PENDING,
            proposed: .RUNNING,
            kind: .task,
            prepare: flowRun(nil),
            status: .ABORT,
            resultType: nil
        ),
        Case(
            name: "task in a paused flow waits",
            initial: .PENDING,
            proposed: .RUNNING,
            kind: .task,
            prepare: flowRun(.PAUSED),
            status: .REJECT,
            resultType: .PAUSED,
            resultName: "NotReady"
        ),
        Case(
            name: "completed task with result stays",
            initial: .COMPLETED,
            proposed: .RUNNING,
            kind: .task,
            prepare: { t in withInitial(&t) { $0.data = FlowRuleTests.persisted } },
            status: .REJECT,
            resultType: nil,
            reason: "This run is already completed."
        ),
        Case(
            name: "final task cannot crash",
            initial: .FAILED,
            proposed: .CRASHED,
            kind: .task,
            status: .ABORT,
            resultType: nil,
            reason: "Run is already FAILED."
        ),
        Case(
            name: "failed task with retries",
            initial: .RUNNING,
            proposed: .FAILED,
            kind: .task,
            prepare: { t in
                t.run.taskRetries = TaskRetries(retries: 1, delays: [5], jitterFactor: nil)
                t.run.runCount = 1
            },
            status: .REJECT,
            resultType: .SCHEDULED,
            resultName: "AwaitingRetry",
            reason: "Retrying"
        ),
        Case(
            name: "non-retriable failure",
            initial: .RUNNING,
            proposed: .FAILED,
            kind: .task,
            prepare: { t in
                t.run.taskRetries = TaskRetries(retries: 3, delays: [], jitterFactor: nil)
                t.run.runCount = 1
                t.proposed?.stateDetails.retriable = false
            },
            status: .ACCEPT,
            resultType: .FAILED
        ),
        Case(
            name: "retry is named Retrying",
            initial: .SCHEDULED,
            initialName: "AwaitingRetry",
            proposed: .RUNNING,
            kind: .task,
            prepare: { t in
                TaskRuleTests.flowRun(.RUNNING)(&t)
                t.run.runCount = 1
            },
            status: .ACCEPT,
            resultType: .RUNNING,
            resultName: "Retrying"
        ),
        Case(
            name: "second run is Rerunning",
            initial: .PENDING,
            proposed: .RUNNING,
            kind: .task,
            prepare: { t in
                TaskRuleTests.flowRun(.RUNNING)(&t)
                t.run.runCount = 1
            },
            status: .ACCEPT,
            resultType: .RUNNING,
            resultName: "Rerunning"
        ),
        Case(
            name: "cached state is served",
            initial: .PENDING,
            proposed: .RUNNING,
            kind: .task,
            prepare: { t in
                TaskRuleTests.flowRun(.RUNNING)(&t)
                t.proposed?.stateDetails.cacheKey = "k"
                t.cachedState = State(
                    id: UUID(),
                    type: .COMPLETED,
                    name: "Completed",
                    timestamp: t0,
                    message: nil,
                    data: FlowRuleTests.persisted,
                    stateDetails: StateDetails()
                )
            },
            status: .REJECT,
            resultType: .COMPLETED,
            resultName: "Cached",
            reason: "Retrieved state from cache"
        ),
        Case(
            name: "forced task skips the policy",
            initial: .PENDING,
            proposed: .RUNNING,
            force: true,
            kind: .task,
            prepare: flowRun(.PENDING),
            status: .ACCEPT,
            resultType: .RUNNING
        ),
    ]

    @Test(arguments: cases)
    func decides(_ c: Case) { check(c) }

    @Test func retryDelaysFollowTheAttempt() {
        var c = TaskRuleTests.cases.first { $0.name == "failed task with retries" }!
        c.prepare = { t in
            t.run.taskRetries = TaskRetries(retries: 5, delays: [1, 10, 100], jitterFactor: nil)
            t.run.runCount = 4
        }
        #expect(decide(c).proposed?.stateDetails.scheduledTime == t0.adding(seconds: 101))
    }

    @Test func completionWithCacheKeyIsRemembered() {
        let c = Case(
            name: "cache",
            initial: .RUNNING,
            proposed: .COMPLETED,
            kind: .task,
            prepare: { $0.proposed?.stateDetails.cacheKey = "k" },
            status: .ACCEPT,
            resultType: .COMPLETED
        )
        let t = decide(c)
        #expect(t.effects == [.cacheState(key: "k", expiration: nil, stateId: t.proposed!.id)])
    }

    @Test func startingRecordsTheFlowRunCount() {
        let c = Case(
            name: "tracker",
            initial: .PENDING,
            proposed: .RUNNING,
            kind: .task,
            prepare: TaskRuleTests.flowRun(.RUNNING, runCount: 3),
            status: .ACCEPT,
            resultType: .RUNNING
        )
        #expect(decide(c).run.flowRunRunCount == 3)
    }
}
