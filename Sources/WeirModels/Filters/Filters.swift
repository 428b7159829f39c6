import Foundation

/// Parses the reference's filter grammar (`schemas/filters.py`) into ``Condition`` trees, with the
/// reference's exact semantics: `any_: []` matches nothing, an empty `not_any_`/`like_`/`all_` is
/// ignored, an object with no criterion is TRUE, and unknown keys are rejected.
public enum Filters {
    /// Reads one criterion key into zero or more predicates; nil on a validation error.
    typealias Criterion = (JSONField) -> [Condition]?

    /// Reads a filter object: each present, non-null key contributes its predicates, combined with
    /// the object's `operator` (operator filters) or AND.
    static func object(_ f: JSONField, hasOperator: Bool, _ criteria: [String: Criterion]) -> Condition? {
        var known = Set(criteria.keys)
        if hasOperator { known.insert("operator") }
        guard let r = f.model(known: known) else { return nil }
        var useOr = false
        var ok = true
        if hasOperator, let op = logicalOperator(r["operator"]) {
            // A bad operator is reported with the errors of the other fields, as pydantic does.
            if let op { useOr = op == .or_ } else { ok = false }
        }
        var parts: [Condition] = []
        guard case .object(let pairs) = r.value else { return nil }
        for (key, value) in pairs where key != "operator" {
            guard let criterion = criteria[key], value != .null else { continue }
            if let p = criterion(r[key]) { parts.append(contentsOf: p) } else { ok = false }
        }
        guard ok else { return nil }
        // SQLAlchemy drops an empty clause from AND and OR alike; only empty clauses stay one.
        let kept = parts.filter { $0 != emptyClause }
        if kept.isEmpty, !parts.isEmpty { return emptyClause }
        return useOr ? .some(kept) : .all(kept)
    }

    /// An operator filter's `operator`: nil when absent; `.some(nil)` after recording the
    /// reference's `enum` error (null included: the field defaults to `and_` but is not nullable).
    static func logicalOperator(_ f: JSONField) -> LogicalOperator?? {
        guard f.value != nil else { return nil }
        var field = f
        field.nullable = false
        return .some(field.enumeration(LogicalOperator.self))
    }

    /// SQLAlchemy's empty clause (`or_()` of nothing, which `startswith_: []` builds): an operand
    /// that AND and OR both leave out, unlike TRUE, which decides an OR. It stands for that only
    /// inside the filter objects; ``workQueue(_:)`` answers TRUE for a filter that is nothing else.
    static let emptyClause = Condition.and([])

    /// A nested state filter whose parts the reference keeps only when they are a real condition
    /// (`FlowRunFilterState` skips `sa.True_`, `TaskRunFilterState` keeps only comparisons): a
    /// part with no criterion adds nothing, which matters under `or_`.
    static func droppingTrue(_ criterion: @escaping Criterion) -> Criterion {
        { f in criterion(f).map { $0.filter { $0 != .always } } }
    }

    // MARK: leaf operators

    static func anyUUID(_ c: FilterColumn) -> Criterion { { f in f.uuids().map { [.in(c, $0.map(FilterValue.uuid))] } } }
    static func notAnyUUID(_ c: FilterColumn) -> Criterion { { f in f.uuids().map { $0.isEmpty ? [] : [.notIn(c, $0.map(FilterValue.uuid))] } } }
    static func anyString(_ c: FilterColumn) -> Criterion { { f in f.strings().map { [.in(c, $0.map(FilterValue.string))] } } }
    static func notAnyString(_ c: FilterColumn) -> Criterion {
        { f in f.strings().map { $0.isEmpty ? [] : [.notIn(c, $0.map(FilterValue.string))] } }
    }
    static func like(_ c: FilterColumn) -> Criterion { { f in f.string().map { $0.isEmpty ? [] : [.contains(c, $0)] } } }
    static func tagsAll(_ c: FilterColumn) -> Criterion { { f in f.strings().map { $0.isEmpty ? [] : [.tagsContainAll(c, $0)] } } }
    static func tagsAny(_ c: FilterColumn) -> Criterion { { f in f.strings().map { [.tagsOverlap(c, $0)] } } }
    static func tagsIsNull(_ c: FilterColumn) -> Criterion { { f in f.bool().map { [$0 ? .tagsEmpty(c) : .not(.tagsEmpty(c))] } } }
    static func isNull(_ c: FilterColumn) -> Criterion { { f in f.bool().map { [$0 ? .isNull(c) : .isNotNull(c)] } } }
    static func before(_ c: FilterColumn) -> Criterion { { f in f.timestamp().map { [.lessOrEqual(c, .timestamp($0))] } } }
    static func after(_ c: FilterColumn) -> Criterion { { f in f.timestamp().map { [.greaterOrEqual(c, .timestamp($0))] } } }
    static func stateTypes(_ c: FilterColumn, negate: Bool) -> Criterion {
        { f in
            f.list { $0.enumeration(StateType.self) }.map { types in
                let values = types.map { FilterValue.string($0.rawValue) }
                if negate { return values.isEmpty ? [] : [.notIn(c, values)] }
                return [.in(c, values)]
            }
        }
    }

    /// A criterion the reference validates but never turns into a condition (deprecated fields):
    /// its errors still count, and it adds nothing to its parent, which matters under `or_`.
    static func ignored(_ criterion: @escaping Criterion) -> Criterion {
        { f in criterion(f).map { _ in [] } }
    }

    /// A nested filter object as one criterion.
    static func nested(hasOperator: Bool, _ criteria: [String: Criterion]) -> Criterion {
        { f in object(f, hasOperator: hasOperator, criteria).map { [$0] } }
    }

    static func timeFilter(_ column: FilterColumn, comparedColumn: FilterColumn? = nil, nullable: Bool) -> Criterion {
        var c: [String: Criterion] = ["before_": before(comparedColumn ?? column), "after_": after(comparedColumn ?? column)]
        if nullable { c["is_null_"] = isNull(column) }
        return nested(hasOperator: false, c)
    }

    // MARK: filter classes

    /// `FlowFilter`.
    public static func flow(_ f: JSONField) -> Condition? {
        object(
            f,
            hasOperator: true,
            [
                "id": nested(hasOperator: false, ["any_": anyUUID(.flowId), "not_any_": notAnyUUID(.flowId)]),
                "deployment": nested(
                    hasOperator: true,
                    ["is_null_": { f in f.bool().map { [$0 ? .not(.exists(.flowDeployments, .always)) : .exists(.flowDeployments, .always)] } }]
                ),
                "name": nested(hasOperator: false, ["any_": anyString(.flowName), "like_": like(.flowName)]),
                "tags": nested(hasOperator: true, ["all_": tagsAll(.flowTags), "is_null_": tagsIsNull(.flowTags)]),
            ]
        )
    }

    /// `FlowRunFilter`.
    public static func flowRun(_ f: JSONField) -> Condition? {
        object(
            f,
            hasOperator: true,
            [
                "id": nested(hasOperator: false, ["any_": anyUUID(.runId), "not_any_": notAnyUUID(.runId)]),
                "name": nested(hasOperator: false, ["any_": anyString(.runName), "like_": like(.runName)]),
                "tags": nested(hasOperator: true, ["all_": tagsAll(.runTags), "any_": tagsAny(.runTags), "is_null_": tagsIsNull(.runTags)]),
                "deployment_id": nested(hasOperator: true, ["any_": anyUUID(.runDeploymentId), "is_null_": isNull(.runDeploymentId)]),
                "work_queue_name": nested(hasOperator: true, ["any_": anyString(.runWorkQueueName), "is_null_": isNull(.runWorkQueueName)]),
                "state": nested(
                    hasOperator: true,
                    [
                        "type": droppingTrue(
                            nested(
                                hasOperator: false,
                                ["any_": stateTypes(.runStateType, negate: false), "not_any_": stateTypes(.runStateType, negate: true)]
                            )
                        ),
                        "name": droppingTrue(
                            nested(hasOperator: false, ["any_": anyString(.runStateName), "not_any_": notAnyString(.runStateName)])
                        ),
                    ]
                ),
                "flow_version": nested(hasOperator: false, ["any_": anyString(.runFlowVersion)]),
                "start_time": timeFilter(.runStartTime, comparedColumn: .runStartOrExpected, nullable: true),
                "end_time": timeFilter(.runEndTime, nullable: true),
                "expected_start_time": timeFilter(.runExpectedStartTime, nullable: false),
                "next_scheduled_start_time": timeFilter(.runNextScheduledStartTime, nullable: false),
                "parent_flow_run_id": nested(
                    hasOperator: true,
                    ["any_": { f in f.uuids().map { [.exists(.runParentTaskRun, .in(.taskFlowRunId, $0.map(FilterValue.uuid)))] } }]
                ),
                "parent_task_run_id": nested(hasOperator: true, ["any_": anyUUID(.runParentTaskRunId), "is_null_": isNull(.runParentTaskRunId)]),
                "idempotency_key": nested(hasOperator: false, ["any_": anyString(.runIdempotencyKey), "not_any_": notAnyString(.runIdempotencyKey)]),
                "created_by": nested(
                    hasOperator: true,
                    [
                        "id_": { f in f.uuids().map { [.in(.runCreatedById, $0.map { .string($0.uuidString.lowercased()) })] } },
                        "type_": anyString(.runCreatedByType),
                        "is_null_": isNull(.runCreatedBy),
                    ]
                ),
            ]
        )
    }

    /// `TaskRunFilter`.
    public static func taskRun(_ f: JSONField) -> Condition? {
        object(
            f,
            hasOperator: true,
            [
                "id": nested(hasOperator: false, ["any_": anyUUID(.taskId)]),
                "name": nested(hasOperator: false, ["any_": anyString(.taskName), "like_": like(.taskName)]),
                "tags": nested(hasOperator: true, ["all_": tagsAll(.taskTags), "is_null_": tagsIsNull(.taskTags)]),
                "state": nested(
                    hasOperator: true,
                    [
                        "type": droppingTrue(nested(hasOperator: false, ["any_": stateTypes(.taskStateType, negate: false)])),
                        "name": droppingTrue(nested(hasOperator: false, ["any_": anyString(.taskStateName)])),
                    ]
                ),
                "start_time": timeFilter(.taskStartTime, nullable: true),
                "end_time": timeFilter(.taskEndTime, nullable: true),
                "expected_start_time": timeFilter(.taskExpectedStartTime, nullable: false),
                "subflow_runs": nested(
                    hasOperator: false,
                    ["exists_": { f in f.bool().map { [$0 ? .exists(.taskSubflowRuns, .always) : .not(.exists(.taskSubflowRuns, .always))] } }]
                ),
                "flow_run_id": { f in taskRunFlowRunId(f).map { [$0] } },
            ]
        )
    }

    /// `TaskRunFilterFlowRunId`: `is_null_` defaults to false, and `is_null_: true` wins over `any_`.
    static func taskRunFlowRunId(_ f: JSONField) -> Condition? {
        guard let r = f.model(known: ["operator", "any_", "is_null_"]) else { return nil }
        var useOr = false
        var ok = true
        if let op = logicalOperator(r["operator"]) {
            if let op { useOr = op == .or_ } else { ok = false }
        }
        let anyField = r["any_"]
        let any = anyField.isAbsentOrNull ? nil : anyField.uuids()
        if !anyField.isAbsentOrNull, any == nil { ok = false }
        let nullField = r["is_null_"]
        var isNullValue: Bool? = false
        if nullField.value != nil {
            if nullField.isAbsentOrNull {
                isNullValue = nil
            } else {
                isNullValue = nullField.bool()
                if isNullValue == nil { ok = false }
            }
        }
        guard ok else { return nil }
        var parts: [Condition] = []
        if isNullValue == true {
            parts.append(.isNull(.taskFlowRunId))
        } else if isNullValue == false, any == nil {
            parts.append(.isNotNull(.taskFlowRunId))
        } else if let any {
            parts.append(.in(.taskFlowRunId, any.map(FilterValue.uuid)))
        }
        return useOr ? .some(parts) : .all(parts)
    }

    /// `DeploymentFilter`.
    public static func deployment(_ f: JSONField) -> Condition? {
        object(
            f,
            hasOperator: true,
            [
                "id": nested(hasOperator: false, ["any_": anyUUID(.deploymentId), "not_any_": notAnyUUID(.deploymentId)]),
                "name": nested(hasOperator: false, ["any_": anyString(.deploymentName), "like_": like(.deploymentName)]),
                "flow_or_deployment_name": nested(
                    hasOperator: false,
                    [
                        "like_": { f in
                            f.string().map {
                                $0.isEmpty ? [] : [.or([.contains(.deploymentName, $0), .exists(.deploymentFlow, .contains(.flowName, $0))])]
                            }
                        }
                    ]
                ),
                "paused": nested(hasOperator: false, ["eq_": { f in f.bool().map { [.equals(.deploymentPaused, .bool($0))] } }]),
                "tags": nested(
                    hasOperator: true,
                    ["all_": tagsAll(.deploymentTags), "any_": tagsAny(.deploymentTags), "is_null_": tagsIsNull(.deploymentTags)]
                ),
                "work_queue_name": nested(hasOperator: false, ["any_": anyString(.deploymentWorkQueueName)]),
                // Deprecated: validated, then left out entirely (no condition, not even TRUE), as the reference does.
                "concurrency_limit": ignored(
                    nested(
                        hasOperator: false,
                        [
                            "ge_": { f in f.int().map { _ in [] } },
                            "le_": { f in f.int().map { _ in [] } },
                            "is_null_": { f in f.bool().map { _ in [] } },
                        ]
                    )
                ),
            ]
        )
    }

    /// `WorkPoolFilter`.
    public static func workPool(_ f: JSONField) -> Condition? {
        object(
            f,
            hasOperator: true,
            [
                "id": nested(hasOperator: false, ["any_": anyUUID(.poolId)]),
                "name": nested(hasOperator: false, ["any_": anyString(.poolName)]),
                "type": nested(hasOperator: false, ["any_": anyString(.poolType)]),
            ]
        )
    }

    /// `WorkerFilter`.
    public static func worker(_ f: JSONField) -> Condition? {
        object(
            f,
            hasOperator: true,
            [
                "last_heartbeat_time": timeFilter(.workerLastHeartbeatTime, nullable: false),
                "status": nested(
                    hasOperator: false,
                    [
                        "any_": { f in f.list { $0.enumeration(WorkerStatus.self) }.map { [.in(.workerStatus, $0.map { .string($0.rawValue) })] } },
                        "not_any_": { f in
                            f.list { $0.enumeration(WorkerStatus.self) }.map { [.notIn(.workerStatus, $0.map { .string($0.rawValue) })] }
                        },
                    ]
                ),
            ]
        )
    }

    /// `WorkQueueFilter`.
    public static func workQueue(_ f: JSONField) -> Condition? {
        let condition = object(
            f,
            hasOperator: true,
            [
                "id": nested(hasOperator: false, ["any_": anyUUID(.queueId)]),
                "name": nested(
                    hasOperator: false,
                    [
                        "any_": anyString(.queueName),
                        "startswith_": { f in f.strings().map { $0.isEmpty ? [emptyClause] : [.or($0.map { .startsWith(.queueName, $0) })] } },
                    ]
                ),
            ]
        )
        return condition == emptyClause ? .always : condition
    }
}

extension Filters {
    /// `LogFilter`.
    public static func log(_ f: JSONField) -> Condition? {
        object(
            f,
            hasOperator: true,
            [
                "level": nested(
                    hasOperator: false,
                    [
                        "ge_": { f in f.int().map { [.greaterOrEqual(.logLevel, .int($0))] } },
                        "le_": { f in f.int().map { [.lessOrEqual(.logLevel, .int($0))] } },
                    ]
                ),
                "timestamp": timeFilter(.logTimestamp, nullable: false),
                "flow_run_id": nested(hasOperator: false, ["any_": anyUUID(.logFlowRunId)]),
                "task_run_id": nested(hasOperator: false, ["any_": anyUUID(.logTaskRunId), "is_null_": isNull(.logTaskRunId)]),
                "text": { f in
                    guard let r = f.model(known: ["query"]), let q = r.required("query")?.string() else { return nil }
                    if q.count > 200 {
                        r["query"].fail(
                            "string_too_long",
                            "String should have at most 200 characters",
                            ctx: .object([("max_length", .number("200"))])
                        )
                        return nil
                    }
                    let parsed = TextSearchQuery(q)
                    var parts: [Condition] = []
                    if !parsed.include.isEmpty { parts.append(.some(parsed.include.map { .containsText(.logText, $0) })) }
                    if !parsed.exclude.isEmpty { parts.append(.all(parsed.exclude.map { .not(.containsText(.logText, $0)) })) }
                    if !parsed.required.isEmpty { parts.append(.all(parsed.required.map { .containsText(.logText, $0) })) }
                    return parts
                },
            ]
        )
    }
}

/// `operator` of operator filters.
public enum LogicalOperator: String, Sendable, CaseIterable {
    case and_, or_
}
