import Foundation
import WeirModels

/// A task proposing RUNNING with a cache key gets the cached COMPLETED state instead, if one is valid.
public struct CacheRetrieval: OrchestrationRule {
    public init() {}
    public var toStates: Set<StateType?> { [.RUNNING] }
    public func before(_ t: inout Transition) {
        guard let proposed = t.proposed, proposed.stateDetails.cacheKey != nil, proposed.stateDetails.refreshCache != true,
            let cached = t.cachedState
        else { return }
        var fresh = t.newState(cached.type, name: "Cached", message: cached.message, data: cached.data, details: cached.stateDetails)
        fresh.stateDetails.transitionId = nil
        t.reject(with: fresh, reason: "Retrieved state from cache")
    }
}

/// Leaving a final task state: some targets abort, a persisted COMPLETED stays, a rerun restarts
/// the run count and is named `Retrying` when its flow is retrying.
public struct HandleTaskTerminalStateTransitions: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { terminalStates }
    public func before(_ t: inout Transition) {
        guard let initial = t.initial, let proposed = t.proposed else { return }
        if [.CANCELLING, .PAUSED, .CRASHED].contains(proposed.type) {
            t.abort("Run is already \(initial.type.rawValue).")
            return
        }
        if initial.type == .COMPLETED, let data = initial.data, data != .null, data["type"] != .string("unpersisted") {
            t.rejectToCurrent("This run is already completed.")
            return
        }
        if !proposed.type.isFinal { t.run.runCount = 0 }
        if proposed.type == .RUNNING, let flowRun = t.flowRun, t.run.flowRunRunCount < flowRun.runCount {
            t.rename("Retrying")
        }
    }
    public func cleanup(_ t: inout Transition, runBefore: RunBookkeeping) {
        t.run.runCount = runBefore.runCount
    }
}

/// A task may only start while its flow runs; in a paused flow it waits as `NotReady`.
public struct PreventRunningTasksFromStoppedFlows: OrchestrationRule {
    public init() {}
    public var toStates: Set<StateType?> { [.RUNNING] }
    public func before(_ t: inout Transition) {
        guard let flowRun = t.flowRun else { return }
        guard let state = flowRun.state else {
            t.abort("The enclosing flow must be running to begin task execution.")
            return
        }
        if state.type == .PAUSED {
            var details = StateDetails()
            details.pauseTimeout = state.stateDetails.pauseTimeout
            details.pauseReschedule = state.stateDetails.pauseReschedule
            t.reject(
                with: t.newState(.PAUSED, name: "NotReady", details: details),
                reason: "The flow is paused, new tasks can execute after resuming flow run: \(flowRun.id.uuidString.lowercased())."
            )
        } else if state.type != .RUNNING {
            t.abort("The enclosing flow must be running to begin task execution.")
        }
    }
}

/// A failed task with retries left is rescheduled as `AwaitingRetry` after its (jittered) delay.
public struct RetryFailedTasks: OrchestrationRule {
    public init() {}
    public var fromStates: Set<StateType?> { [.RUNNING] }
    public var toStates: Set<StateType?> { [.FAILED] }
    public func before(_ t: inout Transition) {
        guard t.initial != nil, let proposed = t.proposed, let settings = t.run.taskRetries else { return }
        let delays = settings.delays
        let base = delays.isEmpty ? 0 : delays[max(0, min(t.run.runCount - 1, delays.count - 1))]
        var delay = base
        if let jitter = settings.jitterFactor, jitter > 0, base > 0 {
            delay = base * (1 + jitter * (2 * t.random - 1))
        }
        if proposed.stateDetails.retriable == false { return }
        guard let retries = settings.retries, t.run.runCount <= retries else { return }
        var details = StateDetails()
        details.scheduledTime = t.now.adding(seconds: delay)
        t.reject(
            with: t.newState(.SCHEDULED, name: "AwaitingRetry", message: proposed.message, data: proposed.data, details: details),
            reason: "Retrying"
        )
    }
}

/// A task that runs again is `Retrying` after `AwaitingRetry`, else `Rerunning`.
public struct RenameReruns: OrchestrationRule {
    public init() {}
    public var toStates: Set<StateType?> { [.RUNNING] }
    public func before(_ t: inout Transition) {
        guard let initial = t.initial, t.proposed != nil, t.run.runCount > 0 else { return }
        t.rename(initial.name == "AwaitingRetry" ? "Retrying" : "Rerunning")
    }
}

/// A task that starts records its flow run's run count.
public struct UpdateFlowRunTrackerOnTasks: OrchestrationRule {
    public init() {}
    public var toStates: Set<StateType?> { [.RUNNING] }
    public func before(_ t: inout Transition) {}
    public func after(_ t: inout Transition) {
        if let flowRun = t.flowRun { t.run.flowRunRunCount = flowRun.runCount }
    }
}

/// A COMPLETED task state with a cache key is remembered for later runs.
public struct CacheInsertion: OrchestrationRule {
    /// The reference's default `max_cache_key_length`.
    public static let maxCacheKeyLength = 2000
    public init() {}
    public var toStates: Set<StateType?> { [.COMPLETED] }
    public func before(_ t: inout Transition) {
        guard let proposed = t.proposed, let key = proposed.stateDetails.cacheKey, key.count > Self.maxCacheKeyLength else { return }
        t.reject(with: proposed, reason: "Cache key exceeded maximum allowed length of \(Self.maxCacheKeyLength) characters.")
    }
    public func after(_ t: inout Transition) {
        guard let state = t.proposed, let key = state.stateDetails.cacheKey else { return }
        t.effects.append(.cacheState(key: key, expiration: state.stateDetails.cacheExpiration, stateId: state.id))
    }
}
