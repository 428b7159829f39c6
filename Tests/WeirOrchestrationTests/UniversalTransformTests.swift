import Foundation
import Testing
import WeirModels

@testable import WeirOrchestration

@Suite struct UniversalTransformTests {
    let t0 = Timestamp(iso8601: "2026-01-01T00:00:00Z")!

    func state(_ type: StateType, at seconds: Double, scheduled: Timestamp? = nil) -> State {
        var details = StateDetails()
        details.scheduledTime = scheduled
        return State(
            id: UUID(),
            type: type,
            name: type.defaultName,
            timestamp: t0.adding(seconds: seconds),
            message: nil,
            data: nil,
            stateDetails: details
        )
    }

    /// Runs a sequence of states through the forced flow policy, returning the bookkeeping.
    func run(_ states: [State]) -> RunBookkeeping {
        var b = RunBookkeeping(id: UUID(), kind: .flow, flowRunPolicy: FlowRunPolicy())
        var current: State?
        for s in states {
            var t = Transition(run: b, initial: current, proposed: s, now: s.timestamp)
            Policies.minimalFlow.apply(to: &t)
            if let written = t.proposed { current = written }
            b = t.run
        }
        return b
    }

    @Test func scheduledPendingRunningCompleted() {
        let sched = t0.adding(seconds: 100)
        let b = run([state(.SCHEDULED, at: 0, scheduled: sched), state(.PENDING, at: 101), state(.RUNNING, at: 102), state(.COMPLETED, at: 110)])
        #expect(b.expectedStartTime == sched)
        #expect(b.nextScheduledStartTime == nil)
        #expect(b.startTime == t0.adding(seconds: 102))
        #expect(b.endTime == t0.adding(seconds: 110))
        #expect(b.runCount == 1)
        #expect(b.totalRunTime == 8)
        #expect(b.stateType == .COMPLETED && b.stateName == "Completed")
    }

    @Test func nextScheduledStartTimeOnlyWhileScheduled() {
        let sched = t0.adding(seconds: 50)
        #expect(run([state(.SCHEDULED, at: 0, scheduled: sched)]).nextScheduledStartTime == sched)
        #expect(run([state(.SCHEDULED, at: 0, scheduled: sched), state(.PENDING, at: 1)]).nextScheduledStartTime == nil)
    }

    @Test func finishingWithoutRunningSetsStartToEnd() {
        let b = run([state(.SCHEDULED, at: 0, scheduled: t0), state(.CANCELLED, at: 5)])
        #expect(b.startTime == t0.adding(seconds: 5) && b.endTime == t0.adding(seconds: 5) && b.runCount == 0)
    }

    @Test func leavingAFinalStateClearsEndTimeAndRerunsCount() {
        let b = run([state(.RUNNING, at: 0), state(.FAILED, at: 2), state(.RUNNING, at: 3)])
        #expect(b.endTime == nil && b.runCount == 2 && b.startTime == t0 && b.totalRunTime == 2)
    }

    @Test func cancellingAScheduledRunWithoutInfrastructureCancelsIt() {
        var b = RunBookkeeping(id: UUID(), kind: .flow, flowRunPolicy: FlowRunPolicy())
        let initial = state(.SCHEDULED, at: 0, scheduled: t0)
        b.stateType = .SCHEDULED
        var t = Transition(run: b, initial: initial, proposed: state(.CANCELLING, at: 1), now: t0.adding(seconds: 1))
        Policies.minimalFlow.apply(to: &t)
        #expect(t.status == .REJECT && t.proposed?.type == .CANCELLED && t.reason == "Scheduled flow run has no infrastructure to terminate.")
        #expect(t.run.endTime == t0.adding(seconds: 1))
    }

    @Test func completedWithResultIsNotOverwrittenWithoutOne() {
        var initial = state(.COMPLETED, at: 0)
        initial.data = .object([("storage_key", .string("/x"))])
        var t = Transition(run: RunBookkeeping(id: UUID(), kind: .flow), initial: initial, proposed: state(.COMPLETED, at: 1), now: t0)
        Policies.minimalFlow.apply(to: &t)
        #expect(t.status == .REJECT && t.isNullified)
    }

    @Test func taskStateDetailsNameTheTaskAndItsFlowRun() {
        let flowRunId = UUID()
        let b = RunBookkeeping(id: UUID(), kind: .task, flowRunId: flowRunId)
        var t = Transition(run: b, initial: nil, proposed: state(.PENDING, at: 0), now: t0)
        Policies.minimalTask.apply(to: &t)
        #expect(t.proposed?.stateDetails.taskRunId == b.id && t.proposed?.stateDetails.flowRunId == flowRunId)
    }

    @Test func equalTimestampsAreMadeUnique() {
        let first = state(.PENDING, at: 0)
        var t = Transition(run: RunBookkeeping(id: UUID(), kind: .flow), initial: first, proposed: state(.RUNNING, at: 0), now: t0)
        Policies.minimalFlow.apply(to: &t)
        #expect(t.proposed!.timestamp.microseconds == first.timestamp.microseconds + 1)
    }
}
