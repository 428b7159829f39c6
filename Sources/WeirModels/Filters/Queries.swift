import Foundation

/// The nine flow run sorts (`FlowRunSort`), in the reference's declaration order.
public enum FlowRunSort: String, Sendable, CaseIterable {
    case ID_DESC, START_TIME_ASC, START_TIME_DESC, EXPECTED_START_TIME_ASC, EXPECTED_START_TIME_DESC
    case NAME_ASC, NAME_DESC, NEXT_SCHEDULED_START_TIME_ASC, END_TIME_DESC
}

/// Flow sorts (`FlowSort`).
public enum FlowSort: String, Sendable, CaseIterable {
    case CREATED_DESC, UPDATED_DESC, NAME_ASC, NAME_DESC
}

/// A query the reference refuses after validating its fields (a limit out of range, a history
/// interval under a second, too many event buckets): it answers 422 with `{"detail": ...}`.
public struct InvalidQuery: Error, Sendable, Equatable {
    /// The reference's message.
    public var detail: String
    /// Creates the refusal with the reference's message.
    public init(detail: String) { self.detail = detail }
}

/// The six related filters every flow run query takes, compiled to one predicate over flow runs.
public struct FlowRunFilterSet: Sendable, Equatable {
    /// The combined predicate over flow runs.
    public var condition: Condition

    /// The body keys of the six filters.
    public static let keys = ["flows", "flow_runs", "task_runs", "deployments", "work_pools", "work_pool_queues"]

    /// Reads `flows`, `flow_runs`, `task_runs`, `deployments`, `work_pools`, `work_pool_queues`
    /// from a body. Every present sub-filter other than `flow_runs` is an EXISTS over the related row.
    public static func read(_ body: ObjectReader) -> FlowRunFilterSet {
        var parts: [Condition] = []
        func add(_ key: String, _ parse: (JSONField) -> Condition?, _ wrap: (Condition) -> Condition) {
            let f = body[key]
            guard !f.isAbsentOrNull, let p = parse(f) else { return }
            parts.append(wrap(p))
        }
        add("flows", Filters.flow) { .exists(.runFlow, $0) }
        add("flow_runs", Filters.flowRun) { $0 }
        add("task_runs", Filters.taskRun) { .exists(.runTaskRuns, $0) }
        add("deployments", Filters.deployment) { .exists(.runDeployment, $0) }
        add("work_pools", Filters.workPool) { .exists(.runQueueAndPool, $0) }
        add("work_pool_queues", Filters.workQueue) { .exists(.runQueue, $0) }
        return FlowRunFilterSet(condition: .all(parts))
    }
}

/// Paging shared by the `filter` endpoints: `limit` (default and maximum from settings) and `offset`.
public struct Paging: Sendable, Equatable {
    public var limit: Int
    public var offset: Int

    /// Paging with explicit values.
    public init(limit: Int, offset: Int) {
        self.limit = limit
        self.offset = offset
    }

    /// Reads `limit` and `offset`; a limit out of range throws ``InvalidQuery`` after the body
    /// otherwise validated, as the reference's dependency does.
    public static func read(_ body: ObjectReader, defaultLimit: Int) -> (Paging, InvalidQuery?) {
        let limitField = body["limit"]
        let limit = limitField.isAbsentOrNull ? nil : limitField.int()
        let offsetField = body["offset"]
        var offset = 0
        if !offsetField.isAbsentOrNull, let o = offsetField.int() {
            if o < 0 {
                offsetField.fail("greater_than_equal", "Input should be greater than or equal to 0", ctx: .object([("ge", .number("0"))]))
            } else {
                offset = o
            }
        }
        var problem: InvalidQuery?
        let effective = limit ?? defaultLimit
        if effective < 0 {
            problem = InvalidQuery(detail: "Invalid limit: must be greater than or equal to 0.")
        } else if effective > defaultLimit {
            problem = InvalidQuery(detail: "Invalid limit: must be less than or equal to \(defaultLimit).")
        }
        return (Paging(limit: max(0, min(effective, defaultLimit)), offset: offset), problem)
    }
}

/// The body of `POST /flow_runs/filter` (Read Flow Runs).
public struct ReadFlowRunsQuery: Sendable, Equatable {
    public var filter: FlowRunFilterSet
    public var sort: FlowRunSort
    public var paging: Paging

    /// A query with every part given.
    public init(filter: FlowRunFilterSet, sort: FlowRunSort, paging: Paging) {
        self.filter = filter
        self.sort = sort
        self.paging = paging
    }

    /// Validates a body. Unknown top-level keys are ignored; a bad limit is reported only when the
    /// rest of the body is valid, as in the reference.
    public static func read(_ body: JSONValue?, defaultLimit: Int) throws -> ReadFlowRunsQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: ["sort", "limit", "offset"] + FlowRunFilterSet.keys)
        let filter = FlowRunFilterSet.read(r)
        let sortField = r["sort"]
        let sort = sortField.isAbsentOrNull ? .ID_DESC : (sortField.enumeration(FlowRunSort.self) ?? .ID_DESC)
        let (paging, limitProblem) = Paging.read(r, defaultLimit: defaultLimit)
        try context.check()
        if let limitProblem { throw limitProblem }
        return ReadFlowRunsQuery(filter: filter, sort: sort, paging: paging)
    }
}

/// The body of `POST /flow_runs/count`: only the six filters.
public struct CountFlowRunsQuery: Sendable, Equatable {
    public var filter: FlowRunFilterSet

    /// A count over a filter.
    public init(filter: FlowRunFilterSet) { self.filter = filter }

    /// Validates a body; `sort`/`limit`/`offset` are unknown here and ignored.
    public static func read(_ body: JSONValue?) throws -> CountFlowRunsQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: FlowRunFilterSet.keys)
        let filter = FlowRunFilterSet.read(r)
        try context.check()
        return CountFlowRunsQuery(filter: filter)
    }
}

/// The body of `POST /flows/filter` and `/flows/count`: flows that match, through the same six filters.
public struct ReadFlowsQuery: Sendable, Equatable {
    /// Condition over flows.
    public var flows: Condition
    /// Condition over flow runs; flows must have a matching run when any run-side filter is present.
    public var runs: Condition?
    public var sort: FlowSort
    public var paging: Paging
    /// The requested page, for `/flows/paginate`.
    public var page: PageRequest?

    /// Validates a body.
    public static func read(_ body: JSONValue?, defaultLimit: Int, counting: Bool, paginate: Bool = false) throws -> ReadFlowsQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(
            body,
            context: context,
            fields: (counting ? [] : ["sort", "limit", paginate ? "page" : "offset"]) + [
                "flows", "flow_runs", "task_runs", "deployments", "work_pools",
            ]
        )
        var flows: Condition = .always
        if !r["flows"].isAbsentOrNull, let p = Filters.flow(r["flows"]) { flows = p }
        var runParts: [Condition] = []
        var anyRunSide = false
        func add(_ key: String, _ parse: (JSONField) -> Condition?, _ wrap: (Condition) -> Condition) {
            let f = r[key]
            guard !f.isAbsentOrNull else { return }
            anyRunSide = true
            if let p = parse(f) { runParts.append(wrap(p)) }
        }
        add("flow_runs", Filters.flowRun) { $0 }
        add("task_runs", Filters.taskRun) { .exists(.runTaskRuns, $0) }
        add("deployments", Filters.deployment) { .exists(.runDeployment, $0) }
        add("work_pools", Filters.workPool) { .exists(.runQueueAndPool, $0) }
        add("work_pool_queues", Filters.workQueue) { .exists(.runQueue, $0) }
        var sort = FlowSort.NAME_ASC
        var paging = Paging(limit: defaultLimit, offset: 0)
        var page: PageRequest?
        var limitProblem: InvalidQuery?
        if !counting {
            if !r["sort"].isAbsentOrNull, let s = r["sort"].enumeration(FlowSort.self) { sort = s }
            if paginate {
                let (p, problem) = PageRequest.read(r, defaultLimit: defaultLimit)
                page = p
                paging = Paging(limit: p.limit, offset: p.offset)
                limitProblem = problem
            } else {
                (paging, limitProblem) = Paging.read(r, defaultLimit: defaultLimit)
            }
        }
        try context.check()
        if let limitProblem { throw limitProblem }
        return ReadFlowsQuery(flows: flows, runs: anyRunSide ? .all(runParts) : nil, sort: sort, paging: paging, page: page)
    }
}

/// The body of `POST /work_pools/{name}/queues/filter`.
public struct ReadWorkQueuesQuery: Sendable, Equatable {
    public var queues: Condition
    public var paging: Paging

    /// Validates a body.
    public static func read(_ body: JSONValue?, defaultLimit: Int) throws -> ReadWorkQueuesQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: ["work_queues", "limit", "offset"])
        var queues: Condition = .always
        if !r["work_queues"].isAbsentOrNull, let p = Filters.workQueue(r["work_queues"]) { queues = p }
        let (paging, limitProblem) = Paging.read(r, defaultLimit: defaultLimit)
        try context.check()
        if let limitProblem { throw limitProblem }
        return ReadWorkQueuesQuery(queues: queues, paging: paging)
    }
}

/// Reads a body made of several FastAPI body parameters.
public enum BodyReader {
    /// An object reader over the body; `null` or an empty body means all defaults. A non-object body
    /// makes each named field `missing`, as FastAPI reports it.
    public static func topLevel(_ body: JSONValue?, context: ValidationContext, fields: [String]) -> ObjectReader {
        switch body {
        case nil, .null?:
            var r = ObjectReader(value: .emptyObject, loc: [.key("body")], context: context, forbidExtra: false, known: [])
            r.embedded = true
            return r
        case .object?:
            var r = ObjectReader(value: body!, loc: [.key("body")], context: context, forbidExtra: false, known: [])
            r.embedded = true
            return r
        case let other?:
            for f in fields {
                context.add(ValidationIssue(type: "missing", loc: [.key("body"), .key(f)], msg: "Field required", input: other))
            }
            if fields.isEmpty {
                context.add(
                    ValidationIssue(
                        type: "model_attributes_type",
                        loc: [.key("body")],
                        msg: "Input should be a valid dictionary or object to extract fields from",
                        input: other
                    )
                )
            }
            return ObjectReader(value: .emptyObject, loc: [.key("body")], context: context, forbidExtra: false, known: [])
        }
    }
}
