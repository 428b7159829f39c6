import Foundation
import WeirModels

// MARK: - Minimal policy rules (applied even with force=true)

/// A COMPLETED state carrying a persisted result may not be overwritten by one without.
public struct PreventResultDataLoss: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard let initial = t.initial, let proposed = t.proposed,
              initial.type == .COMPLETED, proposed.type == .COMPLETED else { return }
        let had = initial.data.map { !$0.isNull && $0["storage_key"] != nil } ?? false
        let has = proposed.data.map { !$0.isNull && $0["storage_key"] != nil } ?? false
        if had && !has {
            t.rejectToCurrent("Cannot overwrite a COMPLETED state that carries persisted result data with one that does not.")
        }
    }
}

/// Cancelling a scheduled run that has no infrastructure cancels it outright.
public struct BypassCancellingFlowRunsWithNoInfra: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard t.run.kind == .flow, let initial = t.initial, let proposed = t.proposed, proposed.type == .CANCELLING else { return }
        let reason: String
        if initial.type == .SCHEDULED, t.run.infrastructurePid == nil || initial.name == "Resuming" {
            reason = "Scheduled flow run has no infrastructure to terminate."
        } else if initial.type == .PAUSED, initial.stateDetails.pauseReschedule {
            reason = "Suspended flow run has no infrastructure to terminate."
        } else {
            return
        }
        var cancelled = proposed
        cancelled.type = .CANCELLED
        cancelled.name = "Cancelled"
        t.reject(with: cancelled, reason: reason)
    }
}

// MARK: - Universal transforms (always applied, skipped when the transition was nullified)

/// Keeps state timestamps of one run distinct and ordered.
public struct EnsureStateTimestampIsUnique: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard var p = t.proposed, let initial = t.initial, p.timestamp <= initial.timestamp, t.run.kind == .flow else { return }
        if p.timestamp == initial.timestamp {
            p.timestamp = Timestamp(microseconds: initial.timestamp.microseconds + 1)
            t.proposed = p
        }
    }
}

/// Copies the new state's type, name and timestamp onto the run.
public struct SetRunState: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard let p = t.proposed else { return }
        t.run.stateType = p.type
        t.run.stateName = p.name
        t.run.stateTimestamp = p.timestamp
    }
}

/// `start_time` is set on the first RUNNING.
public struct SetStartTime: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard let p = t.proposed, p.type == .RUNNING, t.run.startTime == nil else { return }
        t.run.startTime = p.timestamp
    }
}

/// `end_time` is set on entering a final state and cleared on leaving one; a run that finishes
/// without running gets `start_time = end_time`.
public struct SetEndTime: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard let p = t.proposed else { return }
        if let initial = t.initial, initial.type.isFinal, !p.type.isFinal { t.run.endTime = nil }
        if p.type.isFinal, t.run.endTime == nil {
            if t.run.startTime == nil { t.run.startTime = p.timestamp }
            t.run.endTime = p.timestamp
        }
    }
}

/// Time spent RUNNING accumulates into `total_run_time` when RUNNING is left.
public struct IncrementRunTime: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard let p = t.proposed, let initial = t.initial, initial.type == .RUNNING else { return }
        t.run.totalRunTime += p.timestamp.secondsSince(initial.timestamp)
    }
}

/// `expected_start_time` is set once, by the first state.
public struct SetExpectedStartTime: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard let p = t.proposed, t.run.expectedStartTime == nil else { return }
        t.run.expectedStartTime = p.type == .SCHEDULED ? (p.stateDetails.scheduledTime ?? p.timestamp) : p.timestamp
    }
}

/// `next_scheduled_start_time` is non-null only while the run is SCHEDULED.
public struct SetNextScheduledStartTime: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard let p = t.proposed else { return }
        if t.initial?.type == .SCHEDULED { t.run.nextScheduledStartTime = nil }
        if p.type == .SCHEDULED { t.run.nextScheduledStartTime = p.stateDetails.scheduledTime }
    }
}

/// The state's details name the run (and, for subflows and tasks, the task run).
public struct UpdateStateDetails: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
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

/// Entering RUNNING counts a run (flow runs resuming from a pause are not counted again).
public struct IncrementRunCount: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard let p = t.proposed, p.type == .RUNNING else { return }
        if t.run.kind == .flow, t.run.flowRunPolicy?.resuming == true { return }
        t.run.runCount += 1
    }
}

/// A flow run that runs or finishes is no longer resuming.
public struct RemoveResumingIndicator: OrchestrationRule {
    public init() {}
    public func apply(to t: inout Transition) {
        guard let p = t.proposed, t.run.kind == .flow, p.type == .RUNNING || p.type.isFinal,
              t.run.flowRunPolicy?.resuming == true else { return }
        t.run.flowRunPolicy?.resuming = false
    }
}

// MARK: - Policies

/// The policies Weir applies.
public enum Policies {
    /// The universal bookkeeping, in the reference's order.
    public static let universal: [any OrchestrationRule] = [
        EnsureStateTimestampIsUnique(), SetRunState(), SetStartTime(), SetEndTime(), IncrementRunTime(),
        SetExpectedStartTime(), SetNextScheduledStartTime(), UpdateStateDetails(), IncrementRunCount(), RemoveResumingIndicator(),
    ]

    /// What a forced flow run proposal goes through: the minimal policy, then the universal transforms.
    public static let minimalFlow = Policy([PreventResultDataLoss(), BypassCancellingFlowRunsWithNoInfra()] + universal)

    /// What a forced task run proposal goes through.
    public static let minimalTask = Policy(universal)
}
