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
    /// Task runs: the flow run's run count when this task last started.
    public var flowRunRunCount: Int = 0
    public var expectedStartTime: Timestamp?
    public var nextScheduledStartTime: Timestamp?
    /// Flow runs only.
    public var flowRunPolicy: FlowRunPolicy?
    /// Task runs only: how the task retries.
    public var taskRetries: TaskRetries?

    /// Bookkeeping of a run that has no state yet.
    public init(
        id: UUID,
        kind: RunKind,
        flowRunId: UUID? = nil,
        parentTaskRunId: UUID? = nil,
        deploymentId: UUID? = nil,
        infrastructurePid: String? = nil,
        stateType: StateType? = nil,
        stateName: String? = nil,
        stateTimestamp: Timestamp? = nil,
        startTime: Timestamp? = nil,
        endTime: Timestamp? = nil,
        totalRunTime: Double = 0,
        runCount: Int = 0,
        expectedStartTime: Timestamp? = nil,
        nextScheduledStartTime: Timestamp? = nil,
        flowRunPolicy: FlowRunPolicy? = nil
    ) {
        self.id = id
        self.kind = kind
        self.flowRunId = flowRunId
        self.parentTaskRunId = parentTaskRunId
        self.deploymentId = deploymentId
        self.infrastructurePid = infrastructurePid
        self.stateType = stateType
        self.stateName = stateName
        self.stateTimestamp = stateTimestamp
        self.startTime = startTime
        self.endTime = endTime
        self.totalRunTime = totalRunTime
        self.runCount = runCount
        self.expectedStartTime = expectedStartTime
        self.nextScheduledStartTime = nextScheduledStartTime
        self.flowRunPolicy = flowRunPolicy
    }
}

/// A task run's retry settings, from its `empirical_policy`.
public struct TaskRetries: Sendable, Equatable {
    public var retries: Int?
    /// One delay, or one per attempt (the last repeats).
    public var delays: [Double]
    public var jitterFactor: Double?

    /// Retry settings.
    public init(retries: Int?, delays: [Double], jitterFactor: Double?) {
        self.retries = retries
        self.delays = delays
        self.jitterFactor = jitterFactor
    }

    /// Reads the settings from a stored task `empirical_policy`: `retry_delay` is one number or a
    /// list of them.
    public init(stored policy: StoredObject) throws(StoredDataError) {
        retries = try policy.int("retries")
        switch policy["retry_delay"] {
        case nil: delays = []
        case .array(let items)?:
            delays = []
            for item in items {
                guard case .number(let n) = item, let d = Double(n) else {
                    throw StoredDataError("\(policy.location).retry_delay", "expected numbers")
                }
                delays.append(d)
            }
        default: delays = [try policy.double("retry_delay") ?? 0]
        }
        jitterFactor = try policy.double("retry_jitter_factor")
    }
}

/// The enclosing flow run of a task run, as task rules need it.
public struct EnclosingFlowRun: Sendable, Equatable {
    public var id: UUID
    public var runCount: Int
    /// Its current state, nil when it has none.
    public var state: State?

    /// A snapshot of a flow run.
    public init(id: UUID, runCount: Int, state: State?) {
        self.id = id
        self.runCount = runCount
        self.state = state
    }
}

/// A write the store must make after the transition because a rule asked for it.
public enum TransitionEffect: Sendable, Equatable {
    /// Remember a COMPLETED task state under its cache key.
    case cacheState(key: String, expiration: Timestamp?, stateId: UUID)
}

/// One state proposal being decided: the run, its current state, the proposed state, what the
/// store looked up for the rules, and the decision so far. Rules read and change it; nothing here
/// does I/O.
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
    /// Task runs: the enclosing flow run, when there is one.
    public var flowRun: EnclosingFlowRun?
    /// Task runs: the newest unexpired state cached under the proposal's cache key.
    public var cachedState: State?
    /// A uniform random number in [0, 1) for jittered retry delays (fixed in tests).
    public var random: Double = Double.random(in: 0..<1)
    /// Writes the store makes after the state.
    public var effects: [TransitionEffect] = []
    /// A pause key HandlePausingFlows records once the pause is written.
    var pauseKey: String?

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

    /// Asks the client to wait and propose again.
    public mutating func delay(_ seconds: Int, reason: String) {
        status = .WAIT
        self.reason = reason
        delaySeconds = seconds
        proposed = nil
    }

    /// Renames the proposed state.
    public mutating func rename(_ name: String) { proposed?.name = name }

    /// A new state of a type, timestamped now, for rules that replace the proposal.
    public func newState(
        _ type: StateType,
        name: String,
        message: String? = nil,
        data: JSONValue? = nil,
        details: StateDetails = StateDetails()
    ) -> State {
        State(id: UUID(), type: type, name: name, timestamp: now, message: message, data: data, stateDetails: details)
    }
}

/// A rule of a policy: it applies to transitions between some state types and may change the
/// decision or the proposed state. Like the reference's rules, it is skipped once an earlier rule
/// changed the proposed state's type, and its side effects are undone (`cleanup`) when a later
/// rule does.
public protocol OrchestrationRule: Sendable {
    /// The current state types the rule applies to (nil: no state yet).
    var fromStates: Set<StateType?> { get }
    /// The proposed state types the rule applies to.
    var toStates: Set<StateType?> { get }
    /// Before the state is written.
    func before(_ t: inout Transition)
    /// After the state is written, if the transition is still the one the rule saw.
    func after(_ t: inout Transition)
    /// When a later rule changed the transition: undo what `before` did to the run.
    func cleanup(_ t: inout Transition, runBefore: RunBookkeeping)
}

/// Every state type and "no state".
public let allStates: Set<StateType?> = Set(StateType.allCases.map { Optional($0) }).union([nil])
/// The final state types.
public let terminalStates: Set<StateType?> = [.COMPLETED, .FAILED, .CANCELLED, .CRASHED]

extension OrchestrationRule {
    public var fromStates: Set<StateType?> { allStates }
    public var toStates: Set<StateType?> { allStates }
    public func after(_ t: inout Transition) {}
    public func cleanup(_ t: inout Transition, runBefore: RunBookkeeping) {}
}

/// Bookkeeping applied to every transition that still writes a state.
public protocol UniversalTransform: Sendable {
    /// Before the state is written; not called when the transition was nullified.
    func before(_ t: inout Transition)
}

/// An ordered list of rules followed by universal transforms, applied as the reference does.
public struct Policy: Sendable {
    /// A rule or a transform, in priority order.
    public enum Step: Sendable {
        case rule(any OrchestrationRule)
        case transform(any UniversalTransform)
    }

    /// The steps, in order.
    public let steps: [Step]

    /// A policy of steps.
    public init(_ steps: [Step]) { self.steps = steps }

    /// Decides a transition. A rule is entered only while the proposed type is still the original
    /// one. A rule that itself replaced or cancelled the proposal now governs that transition: on
    /// exit it runs `after` if the transition is still the one it left (and its target is one it
    /// handles), and `cleanup` if a later rule changed it.
    public func apply(to t: inout Transition) {
        let from = t.initial?.type
        let to = t.proposed?.type
        var entered: [(rule: any OrchestrationRule, to: StateType?, snapshot: RunBookkeeping)] = []
        for step in steps {
            switch step {
            case .rule(let rule):
                guard rule.fromStates.contains(from), rule.toStates.contains(to), t.proposed?.type == to else { continue }
                let snapshot = t.run
                rule.before(&t)
                entered.append((rule, t.proposed?.type, snapshot))
            case .transform(let transform):
                if t.proposed != nil { transform.before(&t) }
            }
        }
        for (rule, ruleTo, snapshot) in entered.reversed() {
            guard rule.toStates.contains(ruleTo) else { continue }
            if t.proposed?.type == ruleTo { rule.after(&t) } else { rule.cleanup(&t, runBefore: snapshot) }
        }
    }
}
