import Foundation
import SQLKit
import WeirModels

/// Renders a ``Condition`` as an SQLKit expression over the tables `flow_run`, `flow`,
/// `task_run`, `deployment`, `work_pool` and `work_queue`; values are always bound parameters.
struct FilterCompiler {
    let dialect: StoreDialect
    /// Task run relations as a correlated `EXISTS` probe of each run's task runs (instead of the
    /// list of every matching task run's flow run): for walking a bounded number of runs in order.
    var probesTaskRuns = false

    /// The SQL for a column: `table.column`, or the expression a computed column stands for.
    func column(_ c: FilterColumn) -> any SQLExpression {
        switch c {
        case .flowId: SQLColumn("id", table: "flow")
        case .flowName: SQLColumn("name", table: "flow")
        case .flowTags: SQLColumn("tags", table: "flow")
        case .flowCreated: SQLColumn("created", table: "flow")
        case .flowUpdated: SQLColumn("updated", table: "flow")
        case .runId: SQLColumn("id", table: "flow_run")
        case .runName: SQLColumn("name", table: "flow_run")
        case .runTags: SQLColumn("tags", table: "flow_run")
        case .runDeploymentId: SQLColumn("deployment_id", table: "flow_run")
        case .runWorkQueueName: SQLColumn("work_queue_name", table: "flow_run")
        case .runStateType: SQLColumn("state_type", table: "flow_run")
        case .runStateName: SQLColumn("state_name", table: "flow_run")
        case .runFlowVersion: SQLColumn("flow_version", table: "flow_run")
        case .runStartTime: SQLColumn("start_time", table: "flow_run")
        case .runStartOrExpected:
            SQLFunction("coalesce", args: SQLColumn("start_time", table: "flow_run"), SQLColumn("expected_start_time", table: "flow_run"))
        case .runEndTime: SQLColumn("end_time", table: "flow_run")
        case .runExpectedStartTime: SQLColumn("expected_start_time", table: "flow_run")
        case .runNextScheduledStartTime: SQLColumn("next_scheduled_start_time", table: "flow_run")
        case .runParentTaskRunId: SQLColumn("parent_task_run_id", table: "flow_run")
        case .runIdempotencyKey: SQLColumn("idempotency_key", table: "flow_run")
        case .runCreatedBy: SQLColumn("created_by", table: "flow_run")
        case .runCreatedById: dialect.jsonText(SQLColumn("created_by", table: "flow_run"), field: "id")
        case .runCreatedByType: dialect.jsonText(SQLColumn("created_by", table: "flow_run"), field: "type")
        case .taskId: SQLColumn("id", table: "task_run")
        case .taskName: SQLColumn("name", table: "task_run")
        case .taskTags: SQLColumn("tags", table: "task_run")
        case .taskStateType: SQLColumn("state_type", table: "task_run")
        case .taskStateName: SQLColumn("state_name", table: "task_run")
        case .taskStartTime: SQLColumn("start_time", table: "task_run")
        case .taskEndTime: SQLColumn("end_time", table: "task_run")
        case .taskExpectedStartTime: SQLColumn("expected_start_time", table: "task_run")
        case .taskNextScheduledStartTime: SQLColumn("next_scheduled_start_time", table: "task_run")
        case .taskFlowRunId: SQLColumn("flow_run_id", table: "task_run")
        case .deploymentId: SQLColumn("id", table: "deployment")
        case .deploymentName: SQLColumn("name", table: "deployment")
        case .deploymentPaused: SQLColumn("paused", table: "deployment")
        case .deploymentTags: SQLColumn("tags", table: "deployment")
        case .deploymentWorkQueueName: SQLColumn("work_queue_name", table: "deployment")
        case .deploymentCreated: SQLColumn("created", table: "deployment")
        case .deploymentUpdated: SQLColumn("updated", table: "deployment")
        case .poolId: SQLColumn("id", table: "work_pool")
        case .poolName: SQLColumn("name", table: "work_pool")
        case .poolType: SQLColumn("type", table: "work_pool")
        case .queueId: SQLColumn("id", table: "work_queue")
        case .queueName: SQLColumn("name", table: "work_queue")
        case .workerStatus: SQLColumn("status", table: "worker")
        case .workerLastHeartbeatTime: SQLColumn("last_heartbeat_time", table: "worker")
        case .logId: SQLColumn("id", table: "log")
        case .logName: SQLColumn("name", table: "log")
        case .logLevel: SQLColumn("level", table: "log")
        case .logTimestamp: SQLColumn("timestamp", table: "log")
        case .logFlowRunId: SQLColumn("flow_run_id", table: "log")
        case .logTaskRunId: SQLColumn("task_run_id", table: "log")
        case .logText: SQLQueryString("(\(SQLColumn("message", table: "log")) || ' ' || \(SQLColumn("name", table: "log")))")
        }
    }

    /// An ORDER BY list. Keys whose nulls are ``NullOrder/smallest`` get SQLite's null order on
    /// PostgreSQL too (`NULLS FIRST` ascending, `NULLS LAST` descending), which its indexes are
    /// built to match; estimates are computed at `now`.
    func orderBy(_ keys: [SortKey], now: Timestamp) -> any SQLExpression {
        SQLList(
            keys.map { key in
                let value: any SQLExpression
                switch key.value {
                case .column(let c): value = column(c)
                case .estimatedRunTime: value = RunEstimates(table: "task_run", now: now).runTime
                }
                var direction = key.descending ? "DESC" : "ASC"
                if dialect == .postgres, key.nulls == .smallest { direction += key.descending ? " NULLS LAST" : " NULLS FIRST" }
                return SQLOrderBy(expression: value, direction: SQLRaw(direction))
            }
        )
    }

    /// A value as a bind parameter in the stored representation.
    func bind(_ v: FilterValue) -> any SQLExpression {
        switch v {
        case .uuid(let u): return SQLBind(u.lowercased)
        case .string(let s): return SQLBind(s)
        case .timestamp(let t): return SQLBind(t.microseconds)
        case .bool(let b): return SQLBind(b ? 1 : 0)
        case .int(let i): return SQLBind(i)
        }
    }

    /// Compiles a predicate.
    func compile(_ p: Condition) -> any SQLExpression {
        switch p {
        case .always: return SQLRaw("1 = 1")
        case .and(let parts): return group(parts.map(compile), "AND")
        case .or(let parts): return group(parts.map(compile), "OR")
        case .not(let inner): return SQLQueryString("NOT (\(compile(inner)))")
        case .in(let c, let values):
            if values.isEmpty { return SQLRaw("1 = 0") }
            return SQLQueryString("\(column(c)) IN (\(SQLList(values.map(bind))))")
        case .notIn(let c, let values):
            if values.isEmpty { return SQLRaw("1 = 1") }
            return SQLQueryString("\(column(c)) NOT IN (\(SQLList(values.map(bind))))")
        case .isNull(let c): return SQLQueryString("\(column(c)) IS NULL")
        case .isNotNull(let c): return SQLQueryString("\(column(c)) IS NOT NULL")
        case .contains(let c, let s): return dialect.ilike(column(c), pattern: "%" + s + "%")
        case .startsWith(let c, let s): return dialect.ilike(column(c), pattern: s + "%")
        case .containsText(let c, let s): return dialect.containsText(column(c), s)
        case .lessOrEqual(let c, let v): return SQLQueryString("\(column(c)) <= \(bind(v))")
        case .greaterOrEqual(let c, let v): return SQLQueryString("\(column(c)) >= \(bind(v))")
        case .equals(let c, let v): return SQLQueryString("\(column(c)) = \(bind(v))")
        case .tagsContainAll(let c, let tags):
            if tags.isEmpty { return SQLRaw("1 = 1") }
            return dialect.tagsContainAll(column(c), tags)
        case .tagsOverlap(let c, let tags):
            if tags.isEmpty { return SQLRaw("1 = 0") }
            return dialect.tagsOverlap(column(c), tags)
        case .tagsEmpty(let c): return dialect.tagsEmpty(column(c))
        case .exists(.runTaskRuns, let inner) where probesTaskRuns:
            return SQLQueryString("EXISTS (SELECT 1 FROM task_run WHERE task_run.flow_run_id = flow_run.id AND (\(compile(inner))))")
        case .exists(let relation, let inner):
            let (key, select) = subquery(relation)
            return SQLQueryString("\(unsafeRaw: key) IN (\(unsafeRaw: select) AND (\(compile(inner))))")
        }
    }

    private func group(_ parts: [any SQLExpression], _ op: String) -> any SQLExpression {
        // No operand: the operator's neutral value (AND of nothing holds, OR of nothing does not).
        if parts.isEmpty { return SQLRaw(op == "AND" ? "1 = 1" : "1 = 0") }
        if parts.count == 1 { return SQLQueryString("(\(parts[0]))") }
        return SQLQueryString("(\(SQLList(parts.map { SQLQueryString("(\($0))") }, separator: SQLRaw(" \(op) "))))")
    }

    /// A relation as `key IN (sub-select ... WHERE ...)`: the planner can then drive the query from
    /// the related table's index (a task run state, a pool name) instead of testing every run.
    private func subquery(_ r: Relation) -> (key: String, select: String) {
        switch r {
        case .runFlow: return ("flow_run.flow_id", "SELECT flow.id FROM flow WHERE 1 = 1")
        case .runDeployment: return ("flow_run.deployment_id", "SELECT deployment.id FROM deployment WHERE 1 = 1")
        case .runQueueAndPool:
            return (
                "flow_run.work_queue_id", "SELECT work_queue.id FROM work_queue JOIN work_pool ON work_pool.id = work_queue.work_pool_id WHERE 1 = 1"
            )
        case .runQueue: return ("flow_run.work_queue_id", "SELECT work_queue.id FROM work_queue WHERE 1 = 1")
        case .runTaskRuns: return ("flow_run.id", "SELECT task_run.flow_run_id FROM task_run WHERE task_run.flow_run_id IS NOT NULL")
        case .flowDeployments: return ("flow.id", "SELECT deployment.flow_id FROM deployment WHERE 1 = 1")
        case .deploymentFlow: return ("deployment.flow_id", "SELECT flow.id FROM flow WHERE 1 = 1")
        case .taskSubflowRuns:
            return (
                "task_run.id", "SELECT subflow_run.parent_task_run_id FROM flow_run AS subflow_run WHERE subflow_run.parent_task_run_id IS NOT NULL"
            )
        case .runParentTaskRun: return ("flow_run.parent_task_run_id", "SELECT task_run.id FROM task_run WHERE 1 = 1")
        case .taskFlowRun: return ("task_run.flow_run_id", "SELECT flow_run.id FROM flow_run WHERE 1 = 1")
        case .deploymentRuns: return ("deployment.id", "SELECT flow_run.deployment_id FROM flow_run WHERE flow_run.deployment_id IS NOT NULL")
        case .deploymentQueue: return ("deployment.work_queue_id", "SELECT work_queue.id FROM work_queue WHERE 1 = 1")
        case .deploymentQueueAndPool:
            return (
                "deployment.work_queue_id",
                "SELECT work_queue.id FROM work_queue JOIN work_pool ON work_pool.id = work_queue.work_pool_id WHERE 1 = 1"
            )
        }
    }
}

extension UUID {
    /// The stored form: lowercase with hyphens.
    var lowercased: String { uuidString.lowercased() }
}
