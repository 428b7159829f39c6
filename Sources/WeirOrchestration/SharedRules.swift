import Foundation
import WeirModels

/// Whether result data is a persisted result record (it has a storage key).
func hasPersistedResult(_ data: JSONValue?) -> Bool {
    guard let data, case .object = data else { return false }
    if data["storage_key"] != nil { return true }
    if case .string(let type)? = data["type"] { return type != "unpersisted" }
    return false
}

/// Only some runs may become PENDING again: PENDING -> PENDING under a new name (workers'
/// `Submitting`) is allowed, anything else from PENDING, RUNNING, CANCELLING or CANCELLED aborts.
public struct PreventPendingTransitions: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { [.PENDING, .CANCELLING, .RUNNING, .CANCELLED] }
    public var toStates: Set<StateType?> { [.PENDING] }
    public func before(_ t: inout Transition) {
        guard let initial = t.initial, let proposed = t.proposed else { return }
        if initial.type == .PENDING, initial.name != proposed.name, proposed.name != "Pending" {
            t.proposed?.stateDetails.scheduledTime = initial.stateDetails.scheduledTime
            t.proposed?.stateDetails.scheduledTimeOffset = initial.stateDetails.scheduledTimeOffset
            t.proposed?.stateDetails.deploymentConcurrencyLeaseId = initial.stateDetails.deploymentConcurrencyLeaseId
            return
        }
        t.abort("This run is in a \(initial.type.rawValue) state and cannot transition to a PENDING state.")
    }
}

/// SCHEDULED -> PENDING keeps the scheduled time.
public struct CopyScheduledTime: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { [.SCHEDULED] }
    public var toStates: Set<StateType?> { [.PENDING] }
    public func before(_ t: inout Transition) {
        guard let initial = t.initial, t.proposed != nil, t.proposed?.stateDetails.scheduledTime == nil else { return }
        t.proposed?.stateDetails.scheduledTime = initial.stateDetails.scheduledTime
        t.proposed?.stateDetails.scheduledTimeOffset = initial.stateDetails.scheduledTimeOffset
    }
}

/// A run may not start before its scheduled time: WAIT with the remaining seconds.
public struct WaitForScheduledTime: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { [.SCHEDULED, .PENDING] }
    public var toStates: Set<StateType?> { [.RUNNING] }
    public func before(_ t: inout Transition) {
        guard let scheduled = t.initial?.stateDetails.scheduledTime, t.proposed != nil else { return }
        let delta = scheduled.microseconds - t.now.microseconds
        // Python: floor(total_seconds) + round(microseconds / 1e6), on a timedelta normalised so
        // that its microseconds part is non-negative.
        let seconds = Int((Double(delta) / 1_000_000).rounded(.down))
        let micros = delta - Int64(seconds) * 1_000_000
        let delay = seconds + Int((Double(micros) / 1_000_000).rounded(.toNearestOrEven))
        if delay > 0 { t.delay(delay, reason: "Scheduled time is in the future") }
    }
}

/// The reference's rejection of any state but CANCELLED for a CANCELLING run.
public struct EnforceCancellingToCancelledTransition: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { [.CANCELLING] }
    public var toStates: Set<StateType?> { allStates.subtracting([.CANCELLED]) }
    public func before(_ t: inout Transition) {
        t.rejectToCurrent("Cannot transition flows that are cancelling to a state other than Cancelled.")
    }
}
