import Foundation
import WeirModels

/// Which kind of run a transition is for.
public enum RunKind: Sendable {
    case flow, task
}

/// The fields of a run that orchestration reads and the universal transforms maintain.
public struct RunBookkeeping: Sendable, Equatable {
    public var id: UUID
    public var kind: RunKind
    /// For task runs, the enclosing flow run.
    public var flowRunId: UUID?
    /// For flow runs, the task run that stands for this run in its parent (subflows).
    public var parentTaskRunId: UUID?
    public var deploymentId: UUID?
    public var infrastructurePid: String?
    public var stateType: StateType?
    public var stateName: String?
    public var stateTimestamp: Timestamp?
    public var startTime: Timestamp?
    public var endTime: Timestamp?
    public var totalRunTime: Double
    public var runCount: Int
    public var expectedStartTime: Timestamp?
    public var nextScheduledStartTime: Timestamp?
    /// Flow runs only.
    public var flowRunPolicy: FlowRunPolicy?

    /// Bookkeeping of a run that has no state yet.
    public init(id: UUID, kind: RunKind, flowRunId: UUID? = nil, parentTaskRunId: UUID? = nil, deploymentId: UUID? = nil, infrastructurePid: String? = nil, stateType: StateType? = nil, stateName: String? = nil, stateTimestamp: Timestamp? = nil, startTime: Timestamp? = nil, endTime: Timestamp? = nil, totalRunTime: Double = 0, runCount: Int = 0, expectedStartTime: Timestamp? = nil, nextScheduledStartTime: Timestamp? = nil, flowRunPolicy: FlowRunPolicy? = nil) {
        self.id = id; self.kind = kind; self.flowRunId = flowRunId; self.parentTaskRunId = parentTaskRunId
        self.deploymentId = deploymentId; self.infrastructurePid = infrastructurePid; self.stateType = stateType
        self.stateName = stateName; self.stateTimestamp = stateTimestamp; self.startTime = startTime; self.endTime = endTime
        self.totalRunTime = totalRunTime; self.runCount = runCount; self.expectedStartTime = expectedStartTime
        self.nextScheduledStartTime = nextScheduledStartTime; self.flowRunPolicy = flowRunPolicy
    }
}

/// One state proposal being decided: the run, its current state, the proposed state, and the
/// decision so far. Rules read and change it; nothing here does I/O.
public struct Transition: Sendable {
    public var run: RunBookkeeping
    /// The run's current state (nil for a new run).
    public let initial: State?
    /// The state that will be written; nil once a rule nullified the transition.
    public var proposed: State?
    public var status: SetStateStatus = .ACCEPT
    public var reason: String?
    public var delaySeconds: Int?
    /// The time the decision is made.
    public let now: Timestamp

    /// A proposal of `proposed` for a run currently in `initial`.
    public init(run: RunBookkeeping, initial: State?, proposed: State, now: Timestamp) {
        self.run = run
        self.initial = initial
        self.proposed = proposed
        self.now = now
    }

    /// Whether a rule cancelled the write (ABORT, WAIT or a REJECT back to the current state).
    public var isNullified: Bool { proposed == nil }

    /// Rejects the proposal and keeps the current state.
    public mutating func rejectToCurrent(_ reason: String) {
        status = .REJECT
        self.reason = reason
        proposed = nil
    }

    /// Rejects the proposal in favour of another state, which is written instead.
    public mutating func reject(with state: State, reason: String) {
        status = .REJECT
        self.reason = reason
        proposed = state
    }

    /// Aborts the proposal.
    public mutating func abort(_ reason: String) {
        status = .ABORT
        self.reason = reason
        proposed = nil
    }
}

/// A step of a policy: a small rule that may change the decision or the proposed state.
public protocol OrchestrationRule: Sendable {
    /// Applies the rule to a transition.
    func apply(to t: inout Transition)
}

/// An ordered list of rules applied one after the other.
public struct Policy: Sendable {
    /// The rules, in order.
    public let rules: [any OrchestrationRule]

    /// A policy of rules.
    public init(_ rules: [any OrchestrationRule]) { self.rules = rules }

    /// Runs every rule; the universal transforms skip a nullified transition.
    public func apply(to t: inout Transition) {
        for rule in rules { rule.apply(to: &t) }
    }
}
