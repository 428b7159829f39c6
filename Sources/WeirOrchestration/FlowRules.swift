import Foundation
import WeirModels

/// A proposal carrying the current state's `transition_id` is a client retry: keep the current state.
public struct PreventDuplicateTransitions: OrchestrationRule {
    public init() {}
    public func before(_ t: inout Transition) {
        guard let initialId = t.initial?.stateDetails.transitionId, let proposedId = t.proposed?.stateDetails.transitionId,
            initialId == proposedId
        else { return }
        t.rejectToCurrent("This run has already made this state transition.")
    }
}

/// Leaving a final state: some targets abort, a persisted COMPLETED stays, rescheduling needs a
/// deployment, and a rerun starts with a clean pause/retry policy.
public struct HandleFlowTerminalStateTransitions: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { terminalStates }
    public func before(_ t: inout Transition) {
        guard let initial = t.initial, let proposed = t.proposed else { return }
        if [.CANCELLING, .PAUSED, .CRASHED].contains(proposed.type) {
            t.abort("Run is already in terminal state \(initial.type.rawValue).")
            return
        }
        if initial.type == .COMPLETED, !proposed.type.isFinal, hasPersistedResult(initial.data) {
            t.rejectToCurrent("Run is already COMPLETED.")
            return
        }
        if initial.type == .COMPLETED, proposed.type == .COMPLETED, hasPersistedResult(initial.data), !hasPersistedResult(proposed.data) {
            t.rejectToCurrent("Cannot overwrite a COMPLETED state that carries persisted result data with one that does not.")
            return
        }
        if proposed.type == .SCHEDULED, t.run.deploymentId == nil {
            t.abort("Cannot reschedule a run without an associated deployment.")
            return
        }
        if !proposed.type.isFinal, var policy = t.run.flowRunPolicy {
            policy.resuming = false
            policy.pauseKeys = []
            policy.retryType = proposed.type == .SCHEDULED ? "reschedule" : nil
            t.run.flowRunPolicy = policy
        }
    }
    public func cleanup(_ t: inout Transition, runBefore: RunBookkeeping) {
        t.run.flowRunPolicy = runBefore.flowRunPolicy
    }
}

/// A COMPLETED state carrying a persisted result may not be overwritten by one without.
public struct PreventResultDataLoss: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { terminalStates }
    public var toStates: Set<StateType?> { terminalStates }
    public func before(_ t: inout Transition) {
        guard let initial = t.initial, let proposed = t.proposed, initial.type == .COMPLETED, proposed.type == .COMPLETED,
            hasPersistedResult(initial.data), !hasPersistedResult(proposed.data)
        else { return }
        t.rejectToCurrent("Cannot overwrite a COMPLETED state that carries persisted result data with one that does not.")
    }
}

/// Cancelling a scheduled run without infrastructure (or a suspended one) cancels it outright.
public struct BypassCancellingFlowRunsWithNoInfra: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { [.SCHEDULED, .PAUSED] }
    public var toStates: Set<StateType?> { [.CANCELLING] }
    public func before(_ t: inout Transition) {
        guard let initial = t.initial, t.proposed != nil else { return }
        if (initial.type == .SCHEDULED && t.run.infrastructurePid == nil) || initial.name == "Resuming" {
            t.reject(with: t.newState(.CANCELLED, name: "Cancelled"), reason: "Scheduled flow run has no infrastructure to terminate.")
        } else if initial.type == .PAUSED, initial.stateDetails.pauseReschedule {
            t.reject(with: t.newState(.CANCELLED, name: "Cancelled"), reason: "Suspended flow run has no infrastructure to terminate.")
        }
    }
}

/// Only a SCHEDULED run may be marked `Late`, and only once.
public struct EnsureOnlyScheduledFlowsMarkedLate: OrchestrationRule {
    public init() {}
    public var toStates: Set<StateType?> { [.SCHEDULED] }
    public func before(_ t: inout Transition) {
        guard let initial = t.initial, let proposed = t.proposed, proposed.name == "Late" else { return }
        if initial.type != .SCHEDULED {
            t.rejectToCurrent("Only scheduled flows can be marked late.")
        } else if initial.name == "Late" {
            t.rejectToCurrent("This flow run is already marked late.")
        }
    }
}

/// Pausing: only a running flow, each pause key once; suspending needs a deployment and no parent.
public struct HandlePausingFlows: OrchestrationRule {
    public init() {}
    public var toStates: Set<StateType?> { [.PAUSED] }
    public func before(_ t: inout Transition) {
        guard let proposed = t.proposed else { return }
        let verb = proposed.name == "Suspended" ? "suspend" : "pause"
        guard let initial = t.initial else {
            t.abort("Cannot \(verb) flows with no state.")
            return
        }
        guard initial.type == .RUNNING else {
            t.rejectToCurrent("Cannot \(verb) flows that are not currently running.")
            return
        }
        let key = proposed.stateDetails.pauseKey ?? UUID().uuidString.lowercased()
        if (t.run.flowRunPolicy?.pauseKeys ?? []).contains(key) {
            t.rejectToCurrent("This \(verb) has already fired.")
            return
        }
        if proposed.stateDetails.pauseReschedule {
            if t.run.parentTaskRunId != nil {
                t.abort("Cannot \(verb) subflows.")
                return
            }
            if t.run.deploymentId == nil {
                t.abort("Cannot \(verb) flows without a deployment.")
                return
            }
        }
        t.pauseKey = key
    }
    public func after(_ t: inout Transition) {
        guard let key = t.pauseKey else { return }
        if t.run.flowRunPolicy?.pauseKeys.contains(key) == false { t.run.flowRunPolicy?.pauseKeys.append(key) }
    }
}

/// Leaving PAUSED: only to running, scheduled, cancelling or final states; a suspended run needs a
/// deployment; an expired pause fails the run; resuming is recorded on the policy.
public struct HandleResumingPausedFlows: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { [.PAUSED] }
    public func before(_ t: inout Transition) {
        guard let initial = t.initial, let proposed = t.proposed else { return }
        guard [.RUNNING, .SCHEDULED, .CANCELLING].contains(proposed.type) || proposed.type.isFinal else {
            t.rejectToCurrent(
                "This run cannot transition to the StateType.\(proposed.type.rawValue) state from the StateType.\(initial.type.rawValue) state."
            )
            return
        }
        let verb = proposed.name == "Suspended" ? "suspend" : "pause"
        let display = proposed.name.lowercased()
        if initial.stateDetails.pauseReschedule, t.run.deploymentId == nil {
            t.rejectToCurrent("Cannot reschedule a \(display) flow run without a deployment.")
            return
        }
        if proposed.type == .CANCELLING { return }
        if let timeout = initial.stateDetails.pauseTimeout, timeout < t.now {
            t.reject(
                with: t.newState(.FAILED, name: "Failed", message: "The flow was \(display) and never resumed."),
                reason: "The flow run \(verb) has timed out and can no longer resume."
            )
        }
    }
    public func after(_ t: inout Transition) {
        guard var policy = t.run.flowRunPolicy, let initial = t.initial else { return }
        if !initial.stateDetails.pauseReschedule, t.proposed?.type == .SCHEDULED {
            policy.resuming = false
            policy.pauseKeys = []
            policy.retryType = "reschedule"
        } else {
            policy.resuming = true
        }
        t.run.flowRunPolicy = policy
    }
}

/// A failed flow run with retries left is rescheduled as `AwaitingRetry`.
public struct RetryFailedFlows: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { [.RUNNING] }
    public var toStates: Set<StateType?> { [.FAILED] }
    public func before(_ t: inout Transition) {
        guard let initial = t.initial, let proposed = t.proposed, var policy = t.run.flowRunPolicy else { return }
        guard let retries = policy.retries, t.run.runCount <= retries else {
            policy.retryType = nil
            t.run.flowRunPolicy = policy
            return
        }
        policy.resuming = false
        policy.pauseKeys = []
        policy.retryType = "in_process"
        t.run.flowRunPolicy = policy
        var details = StateDetails()
        details.scheduledTime = t.now.adding(seconds: Double(policy.retryDelay ?? 0))
        details.deploymentConcurrencyLeaseId = initial.stateDetails.deploymentConcurrencyLeaseId
        t.reject(
            with: t.newState(.SCHEDULED, name: "AwaitingRetry", message: proposed.message, data: proposed.data, details: details),
            reason: "Retrying"
        )
    }
}
