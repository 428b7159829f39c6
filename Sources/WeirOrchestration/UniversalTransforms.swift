import Foundation
import WeirModels

/// Keeps a flow run's state timestamps distinct and ordered.
public struct EnsureStateTimestampIsUnique: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard t.run.kind == .flow, var p = t.proposed, let initial = t.initial, p.timestamp == initial.timestamp else { return }
        p.timestamp = Timestamp(microseconds: initial.timestamp.microseconds + 1)
        t.proposed = p
    }
}

/// Copies the new state's type, name and timestamp onto the run.
public struct SetRunState: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard let p = t.proposed else { return }
        t.run.stateType = p.type
        t.run.stateName = p.name
        t.run.stateTimestamp = p.timestamp
    }
}

/// `start_time` is set on the first RUNNING.
public struct SetStartTime: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard let p = t.proposed, p.type == .RUNNING, t.run.startTime == nil else { return }
        t.run.startTime = p.timestamp
    }
}

/// `end_time` is set on entering a final state and cleared on leaving one; a run that finishes
/// without running gets `start_time = end_time`.
public struct SetEndTime: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard let p = t.proposed else { return }
        if let initial = t.initial, initial.type.isFinal, !p.type.isFinal { t.run.endTime = nil }
        if p.type.isFinal, t.run.endTime == nil {
            if t.run.startTime == nil { t.run.startTime = p.timestamp }
            t.run.endTime = p.timestamp
        }
    }
}

/// Time spent RUNNING accumulates into `total_run_time` when RUNNING is left.
public struct IncrementRunTime: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard let p = t.proposed, let initial = t.initial, initial.type == .RUNNING else { return }
        t.run.totalRunTime += p.timestamp.secondsSince(initial.timestamp)
    }
}

/// `expected_start_time` is set once, by the first state.
public struct SetExpectedStartTime: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard let p = t.proposed, t.run.expectedStartTime == nil else { return }
        t.run.expectedStartTime = p.type == .SCHEDULED ? (p.stateDetails.scheduledTime ?? p.timestamp) : p.timestamp
    }
}

/// `next_scheduled_start_time` is non-null only while the run is SCHEDULED.
public struct SetNextScheduledStartTime: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard let p = t.proposed else { return }
        if t.initial?.type == .SCHEDULED { t.run.nextScheduledStartTime = nil }
        if p.type == .SCHEDULED { t.run.nextScheduledStartTime = p.stateDetails.scheduledTime }
    }
}

/// The state's details name the run (and, for subflows and tasks, the task run).
public struct UpdateStateDetails: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard var p = t.proposed else { return }
        switch t.run.kind {
        case .flow:
            p.stateDetails.flowRunId = t.run.id
            if let parent = t.run.parentTaskRunId { p.stateDetails.taskRunId = parent }
        case .task:
            p.stateDetails.flowRunId = t.run.flowRunId
            p.stateDetails.taskRunId = t.run.id
        }
        t.proposed = p
    }
}

/// Entering RUNNING counts a run; a flow run resuming from a pause is not counted again.
public struct IncrementRunCount: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard let p = t.proposed, p.type == .RUNNING else { return }
        if t.run.kind == .flow, t.run.flowRunPolicy?.resuming == true { return }
        t.run.runCount += 1
    }
}

/// A flow run that runs or finishes is no longer resuming.
public struct RemoveResumingIndicator: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard let p = t.proposed, t.run.kind == .flow, p.type == .RUNNING || p.type.isFinal,
            t.run.flowRunPolicy?.resuming == true
        else { return }
        t.run.flowRunPolicy?.resuming = false
    }
}

/// A flow run keeps its deployment concurrency lease across states.
public struct PreserveDeploymentConcurrencyLeaseId: UniversalTransform {
    public init() {}
    public func before(_ t: inout Transition) {
        guard let lease = t.initial?.stateDetails.deploymentConcurrencyLeaseId, t.proposed != nil,
            t.proposed?.stateDetails.deploymentConcurrencyLeaseId == nil
        else { return }
        t.proposed?.stateDetails.deploymentConcurrencyLeaseId = lease
    }
}
