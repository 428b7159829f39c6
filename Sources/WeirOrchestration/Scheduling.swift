import WeirModels

/// The scheduler's decision, as the reference's `_get_select_deployments_to_schedule_query`
/// makes it for each active schedule of a deployment that is not paused.
public enum Scheduling {
    /// Whether a schedule needs more runs: it has fewer than `minRuns` future auto-scheduled runs
    /// still scheduled, or the last of them starts before `now + minScheduledTime` (no runs at
    /// all counts as too few, never as too soon: SQL's `max` of nothing is null).
    public static func needsRuns(futureRuns: Int, lastStart: Timestamp?, now: Timestamp, minRuns: Int, minScheduledTime: Double) -> Bool {
        if futureRuns < minRuns { return true }
        guard let lastStart else { return false }
        return lastStart < now.adding(seconds: minScheduledTime)
    }
}
