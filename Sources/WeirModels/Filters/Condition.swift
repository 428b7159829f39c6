import Foundation

/// A column a filter can test, named by table and field. The store maps each to SQL.
public enum FilterColumn: String, Sendable, CaseIterable {
    case flowId = "flow.id"
    case flowName = "flow.name"
    case flowTags = "flow.tags"
    case runId = "flow_run.id"
    case runName = "flow_run.name"
    case runTags = "flow_run.tags"
    case runDeploymentId = "flow_run.deployment_id"
    case runWorkQueueName = "flow_run.work_queue_name"
    case runStateType = "flow_run.state_type"
    case runStateName = "flow_run.state_name"
    case runFlowVersion = "flow_run.flow_version"
    case runStartTime = "flow_run.start_time"
    /// `coalesce(start_time, expected_start_time)`, which start-time comparisons and sorts use.
    case runStartOrExpected = "flow_run.start_or_expected"
    case runEndTime = "flow_run.end_time"
    case runExpectedStartTime = "flow_run.expected_start_time"
    case runNextScheduledStartTime = "flow_run.next_scheduled_start_time"
    case runParentTaskRunId = "flow_run.parent_task_run_id"
    case runIdempotencyKey = "flow_run.idempotency_key"
    case runCreatedBy = "flow_run.created_by"
    case runCreatedById = "flow_run.created_by_id"
    case runCreatedByType = "flow_run.created_by_type"
    case taskId = "task_run.id"
    case taskName = "task_run.name"
    case taskTags = "task_run.tags"
    case taskStateType = "task_run.state_type"
    case taskStateName = "task_run.state_name"
    case taskStartTime = "task_run.start_time"
    case taskEndTime = "task_run.end_time"
    case taskExpectedStartTime = "task_run.expected_start_time"
    case taskFlowRunId = "task_run.flow_run_id"
    case deploymentId = "deployment.id"
    case deploymentName = "deployment.name"
    case deploymentPaused = "deployment.paused"
    case deploymentTags = "deployment.tags"
    case deploymentWorkQueueName = "deployment.work_queue_name"
    case poolId = "work_pool.id"
    case poolName = "work_pool.name"
    case poolType = "work_pool.type"
    case queueId = "work_queue.id"
    case queueName = "work_queue.name"
    case logName = "log.name"
    case logLevel = "log.level"
    case logTimestamp = "log.timestamp"
    case logFlowRunId = "log.flow_run_id"
    case logTaskRunId = "log.task_run_id"
    /// `message || ' ' || name`, what log text search looks in.
    case logText = "log.text"
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
