import Foundation

/// A column a filter can test or a sort order by. The store maps each to its table and column.
public enum FilterColumn: Sendable, CaseIterable {
    case flowId
    case flowName
    case flowTags
    case flowCreated
    case flowUpdated
    case runId
    case runName
    case runTags
    case runDeploymentId
    case runWorkQueueName
    case runStateType
    case runStateName
    case runFlowVersion
    case runStartTime
    /// `coalesce(start_time, expected_start_time)`, which start-time comparisons and sorts use.
    case runStartOrExpected
    case runEndTime
    case runExpectedStartTime
    case runNextScheduledStartTime
    case runParentTaskRunId
    case runIdempotencyKey
    case runCreatedBy
    case runCreatedById
    case runCreatedByType
    case taskId
    case taskName
    case taskTags
    case taskStateType
    case taskStateName
    case taskStartTime
    case taskEndTime
    case taskExpectedStartTime
    case taskNextScheduledStartTime
    case taskFlowRunId
    case deploymentId
    case deploymentName
    case deploymentPaused
    case deploymentTags
    case deploymentWorkQueueName
    case deploymentCreated
    case deploymentUpdated
    case poolId
    case poolName
    case poolType
    case queueId
    case queueName
    case workerStatus
    case workerLastHeartbeatTime
    case logId
    case logName
    case logLevel
    case logTimestamp
    case logFlowRunId
    case logTaskRunId
    /// `message || ' ' || name`, what log text search looks in.
    case logText
}

/// A literal a filter compares with.
public enum FilterValue: Sendable, Equatable {
    case uuid(UUID)
    case string(String)
    case timestamp(Timestamp)
    case bool(Bool)
    case int(Int)
}

/// A sub-query a filter reaches through, relative to the row being filtered.
public enum Relation: String, Sendable {
    /// The run's flow.
    case runFlow
    /// The run's deployment (if it still exists).
    case runDeployment
    /// The run's work queue joined with its pool (through `work_queue_id`).
    case runQueueAndPool
    /// The run's work queue (through `work_queue_id`).
    case runQueue
    /// Task runs of the run.
    case runTaskRuns
    /// Deployments of a flow.
    case flowDeployments
    /// The flow of a deployment.
    case deploymentFlow
    /// Flow runs whose parent task run is this task run.
    case taskSubflowRuns
    /// Task runs that are the parent task run of the run (`parent_task_run_id`), for `parent_flow_run_id`.
    case runParentTaskRun
    /// The flow run of a task run.
    case taskFlowRun
    /// Flow runs of a deployment.
    case deploymentRuns
    /// A deployment's work queue (through `work_queue_id`).
    case deploymentQueue
    /// A deployment's work queue joined with its pool.
    case deploymentQueueAndPool
}

/// A dialect-neutral boolean filter tree compiled from the reference's filter grammar.
/// WeirStore renders it to SQL; nothing here knows SQL.
public indirect enum Condition: Sendable, Equatable {
    case always
    case and([Condition])
    case or([Condition])
    case not(Condition)
    /// `column IN (values)`; an empty list matches nothing.
    case `in`(FilterColumn, [FilterValue])
    /// `column NOT IN (values)`; a NULL column never matches.
    case notIn(FilterColumn, [FilterValue])
    case isNull(FilterColumn)
    case isNotNull(FilterColumn)
    /// Case-insensitive (ASCII) `LIKE '%value%'` with `%`/`_` as wildcards, no escaping.
    case contains(FilterColumn, String)
    /// Case-insensitive (ASCII) `LIKE 'value%'`.
    case startsWith(FilterColumn, String)
    /// Case-insensitive substring test with `%` and `_` taken literally.
    case containsText(FilterColumn, String)
    case lessOrEqual(FilterColumn, FilterValue)
    case greaterOrEqual(FilterColumn, FilterValue)
    case equals(FilterColumn, FilterValue)
    /// The JSON tag array holds every one of these tags.
    case tagsContainAll(FilterColumn, [String])
    /// The JSON tag array holds at least one of these tags.
    case tagsOverlap(FilterColumn, [String])
    /// The JSON tag array is `[]`.
    case tagsEmpty(FilterColumn)
    /// Some related row satisfies the predicate.
    case exists(Relation, Condition)

    /// Whether the tree tests rows related through `relation` anywhere.
    public func involves(_ relation: Relation) -> Bool {
        switch self {
        case .and(let parts), .or(let parts): return parts.contains { $0.involves(relation) }
        case .not(let inner): return inner.involves(relation)
        case .exists(let r, let inner): return r == relation || inner.involves(relation)
        default: return false
        }
    }

    /// The parts that must all hold: the operands of a top-level AND (nested ANDs flattened).
    public var conjuncts: [Condition] {
        switch self {
        case .and(let parts): return parts.flatMap(\.conjuncts)
        case .always: return []
        default: return [self]
        }
    }

    /// Whether the tree tests rows related through `relation` and nothing else of the row itself.
    public func testsOnly(through relation: Relation) -> Bool {
        switch self {
        case .always: return true
        case .and(let parts), .or(let parts): return parts.allSatisfy { $0.testsOnly(through: relation) }
        case .not(let inner): return inner.testsOnly(through: relation)
        case .exists(let r, _): return r == relation
        default: return false
        }
    }

    /// Combines parts with AND (TRUE when empty), flattening trivial cases.
    public static func all(_ parts: [Condition]) -> Condition {
        let kept = parts.filter { $0 != .always }
        if kept.isEmpty { return .always }
        if kept.count == 1 { return kept[0] }
        return .and(kept)
    }

    /// Combines parts with OR; like the reference, an empty list is TRUE.
    public static func some(_ parts: [Condition]) -> Condition {
        if parts.isEmpty { return .always }
        if parts.contains(.always) { return .always }
        if parts.count == 1 { return parts[0] }
        return .or(parts)
    }
}
