import WeirModels

/// The policies Weir applies, in the reference's priority order.
public enum Policies {
    /// The global flow run bookkeeping.
    static let flowTransforms: [Policy.Step] =
        ([
            EnsureStateTimestampIsUnique(), SetRunState(), SetStartTime(), SetEndTime(), IncrementRunTime(),
            SetExpectedStartTime(), SetNextScheduledStartTime(), UpdateStateDetails(), IncrementRunCount(), RemoveResumingIndicator(),
        ] as [any UniversalTransform]).map { .transform($0) }

    /// The global task run bookkeeping.
    static let taskTransforms: [Policy.Step] =
        ([
            SetRunState(), SetStartTime(), SetEndTime(), IncrementRunTime(), SetExpectedStartTime(),
            SetNextScheduledStartTime(), UpdateStateDetails(), IncrementRunCount(),
        ] as [any UniversalTransform]).map { .transform($0) }

    /// `CoreFlowPolicy`: what an unforced flow run proposal goes through.
    public static let coreFlow = Policy(
        [
            .transform(PreserveDeploymentConcurrencyLeaseId()),
            .rule(PreventDuplicateTransitions()),
            .rule(HandleFlowTerminalStateTransitions()),
            .rule(EnforceCancellingToCancelledTransition()),
            .rule(BypassCancellingFlowRunsWithNoInfra()),
            .rule(PreventPendingTransitions()),
            .rule(EnsureOnlyScheduledFlowsMarkedLate()),
            .rule(HandlePausingFlows()),
            .rule(HandleResumingPausedFlows()),
            .rule(CopyScheduledTime()),
            .rule(WaitForScheduledTime()),
            .rule(RetryFailedFlows()),
        ] + flowTransforms
    )

    /// `MinimalFlowPolicy`: what a forced flow run proposal goes through.
    public static let minimalFlow = Policy(
        [
            .transform(PreserveDeploymentConcurrencyLeaseId()),
            .rule(PreventResultDataLoss()),
            .rule(BypassCancellingFlowRunsWithNoInfra()),
        ] + flowTransforms
    )

    /// `MarkLateRunsPolicy`: what the late-runs service's `Late` proposals go through (weir has no
    /// deployment concurrency limits yet, so `EnforceDeploymentConcurrencyOnLate` has nothing to do).
    public static let markLate = Policy(
        [
            .rule(EnsureOnlyScheduledFlowsMarkedLate())
        ] + flowTransforms
    )

    /// `CoreTaskPolicy`: what an unforced task run proposal goes through.
    public static let coreTask = Policy(
        [
            .rule(CacheRetrieval()),
            .rule(HandleTaskTerminalStateTransitions()),
            .rule(PreventRunningTasksFromStoppedFlows()),
            .rule(CopyScheduledTime()),
            .rule(WaitForScheduledTime()),
            .rule(RetryFailedTasks()),
            .rule(RenameReruns()),
            .rule(UpdateFlowRunTrackerOnTasks()),
            .rule(CacheInsertion()),
        ] + taskTransforms
    )

    /// `MinimalTaskPolicy`: what a forced task run proposal goes through.
    public static let minimalTask = Policy(taskTransforms)
}
