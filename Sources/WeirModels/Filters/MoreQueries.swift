import Foundation

/// Paging by page number (`/paginate` endpoints): `offset = (page - 1) * limit`.
public struct PageRequest: Sendable, Equatable {
    public var limit: Int
    public var page: Int

    /// A page of a size.
    public init(limit: Int, page: Int) {
        self.limit = limit
        self.page = page
    }

    /// The offset of the page.
    public var offset: Int { (page - 1) * limit }

    /// `pages = ceil(count / limit)`, 0 for a zero limit.
    public func pages(count: Int) -> Int { limit > 0 ? (count + limit - 1) / limit : 0 }

    /// Reads `limit` (as `Paging` does) and `page` (>= 1, default 1).
    static func read(_ r: ObjectReader, defaultLimit: Int) -> (PageRequest, InvalidQuery?) {
        let (paging, problem) = Paging.read(r, defaultLimit: defaultLimit)
        var page = 1
        let f = r["page"]
        if !f.isAbsentOrNull, let p = f.int() {
            if p < 1 {
                f.fail("greater_than_equal", "Input should be greater than or equal to 1", ctx: .object([("ge", .number("1"))]))
            } else {
                page = p
            }
        }
        return (PageRequest(limit: paging.limit, page: page), problem)
    }
}

/// Task run sorts (`TaskRunSort`), in the reference's declaration order.
public enum TaskRunSort: String, Sendable, CaseIterable {
    case ID_DESC, EXPECTED_START_TIME_ASC, EXPECTED_START_TIME_DESC, NAME_ASC, NAME_DESC
    case NEXT_SCHEDULED_START_TIME_ASC, END_TIME_DESC, DURATION_DESC, DURATION_ASC
}

/// The four filters task run queries take, compiled to one condition over task runs. A present
/// `flows`, `flow_runs` or `deployments` filter (even `{}`) requires the task run's flow run.
public struct TaskRunFilterSet: Sendable, Equatable {
    public var condition: Condition

    /// Reads `flows`, `flow_runs`, `task_runs`, `deployments`; other keys are ignored.
    public static func read(_ body: ObjectReader) -> TaskRunFilterSet {
        var parts: [Condition] = []
        if !body["task_runs"].isAbsentOrNull, let c = Filters.taskRun(body["task_runs"]) { parts.append(c) }
        var runParts: [Condition] = []
        var runSide = false
        if !body["flow_runs"].isAbsentOrNull {
            runSide = true
            if let c = Filters.flowRun(body["flow_runs"]) { runParts.append(c) }
        }
        if !body["flows"].isAbsentOrNull {
            runSide = true
            if let c = Filters.flow(body["flows"]) { runParts.append(.exists(.runFlow, c)) }
        }
        if !body["deployments"].isAbsentOrNull {
            runSide = true
            if let c = Filters.deployment(body["deployments"]) { runParts.append(.exists(.runDeployment, c)) }
        }
        if runSide { parts.append(.exists(.taskFlowRun, .all(runParts))) }
        return TaskRunFilterSet(condition: .all(parts))
    }

    /// The body keys of the four filters.
    public static let keys = ["flows", "flow_runs", "task_runs", "deployments"]
}

/// The body of `POST /task_runs/filter` (`offset`) and `/task_runs/paginate` (`page`).
public struct ReadTaskRunsQuery: Sendable, Equatable {
    public var filter: TaskRunFilterSet
    public var sort: TaskRunSort
    public var paging: Paging
    /// The requested page, for `/paginate`.
    public var page: PageRequest?

    /// Validates a body.
    public static func read(_ body: JSONValue?, defaultLimit: Int, paginate: Bool) throws -> ReadTaskRunsQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: ["sort", "limit", paginate ? "page" : "offset"] + TaskRunFilterSet.keys)
        let filter = TaskRunFilterSet.read(r)
        let sort = r["sort"].isAbsentOrNull ? .ID_DESC : (r["sort"].enumeration(TaskRunSort.self) ?? .ID_DESC)
        let paging: Paging
        var page: PageRequest?
        let problem: InvalidQuery?
        if paginate {
            let (p, pr) = PageRequest.read(r, defaultLimit: defaultLimit)
            page = p
            paging = Paging(limit: p.limit, offset: p.offset)
            problem = pr
        } else {
            (paging, problem) = Paging.read(r, defaultLimit: defaultLimit)
        }
        try context.check()
        if let problem { throw problem }
        return ReadTaskRunsQuery(filter: filter, sort: sort, paging: paging, page: page)
    }
}

/// The body of `POST /task_runs/count`.
public struct CountTaskRunsQuery: Sendable, Equatable {
    public var filter: TaskRunFilterSet

    /// Validates a body.
    public static func read(_ body: JSONValue?) throws -> CountTaskRunsQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: TaskRunFilterSet.keys)
        let filter = TaskRunFilterSet.read(r)
        try context.check()
        return CountTaskRunsQuery(filter: filter)
    }
}

/// The body of `POST /flow_runs/paginate`.
public struct PaginateFlowRunsQuery: Sendable, Equatable {
    public var query: ReadFlowRunsQuery
    public var page: PageRequest

    /// Validates a body.
    public static func read(_ body: JSONValue?, defaultLimit: Int) throws -> PaginateFlowRunsQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: ["sort", "limit", "page"] + FlowRunFilterSet.keys)
        let filter = FlowRunFilterSet.read(r)
        let sort = r["sort"].isAbsentOrNull ? .ID_DESC : (r["sort"].enumeration(FlowRunSort.self) ?? .ID_DESC)
        let (page, problem) = PageRequest.read(r, defaultLimit: defaultLimit)
        try context.check()
        if let problem { throw problem }
        return PaginateFlowRunsQuery(
            query: ReadFlowRunsQuery(filter: filter, sort: sort, paging: Paging(limit: page.limit, offset: page.offset)),
            page: page
        )
    }
}

/// The body of the bulk endpoints: a filter and a limit of 1...50.
public struct BulkQuery: Sendable, Equatable {
    public var condition: Condition
    public var limit: Int
    /// For `bulk_set_state`.
    public var state: StateCreate?
    public var force = false

    /// Reads `{flow_runs | flows, limit}` (and `state`, `force` for bulk_set_state).
    public static func read(_ body: JSONValue?, filterKey: String, withState: Bool) throws -> BulkQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: [filterKey, "limit"] + (withState ? ["state", "force"] : []))
        var condition: Condition = .always
        let parse: (JSONField) -> Condition? =
            switch filterKey {
            case "flows": Filters.flow
            case "deployments": Filters.deployment
            default: Filters.flowRun
            }
        if !r[filterKey].isAbsentOrNull, let c = parse(r[filterKey]) { condition = c }
        var limit = 50
        let lf = r["limit"]
        if !lf.isAbsentOrNull, let l = lf.int() {
            if l < 1 {
                lf.fail("greater_than_equal", "Input should be greater than or equal to 1", ctx: .object([("ge", .number("1"))]))
            } else if l > 50 {
                lf.fail("less_than_equal", "Input should be less than or equal to 50", ctx: .object([("le", .number("50"))]))
            } else {
                limit = l
            }
        }
        var q = BulkQuery(condition: condition, limit: limit)
        if withState {
            q.state = r.required("state").flatMap { StateCreate.read($0) }
            q.force = r["force"].isAbsentOrNull ? false : (r["force"].bool() ?? false)
        }
        try context.check()
        return q
    }
}

/// The body of `POST /flow_runs/history` and `/task_runs/history`.
public struct HistoryQuery: Sendable, Equatable {
    public var start: Timestamp
    public var end: Timestamp
    public var intervalSeconds: Double
    /// Over flow runs or task runs, as the endpoint decides.
    public var condition: Condition

    /// The most buckets the reference returns.
    public static let maxBuckets = 500

    /// The buckets' start times.
    public var bucketStarts: [Timestamp] {
        let elapsed = end.secondsSince(start)
        guard elapsed > 0 else { return [] }
        let n = min(Int((elapsed / intervalSeconds).rounded(.up)), Self.maxBuckets)
        return (0..<n).map { start.adding(seconds: Double($0) * intervalSeconds) }
    }

    /// Validates a body; `forTaskRuns` selects the filter keys.
    public static func read(_ body: JSONValue?, forTaskRuns: Bool) throws -> HistoryQuery {
        let context = ValidationContext()
        let filterKeys = forTaskRuns ? TaskRunFilterSet.keys : ["flows", "flow_runs", "task_runs", "deployments", "work_pools", "work_queues"]
        let r = BodyReader.topLevel(body, context: context, fields: ["history_start", "history_end", "history_interval_seconds"] + filterKeys)
        let start = r.required("history_start")?.timestamp()
        let end = r.required("history_end")?.timestamp()
        let interval = r.required("history_interval_seconds")?.double()
        let condition: Condition
        if forTaskRuns {
            condition = TaskRunFilterSet.read(r).condition
        } else {
            var parts: [Condition] = []
            if !r["flows"].isAbsentOrNull, let c = Filters.flow(r["flows"]) { parts.append(.exists(.runFlow, c)) }
            if !r["flow_runs"].isAbsentOrNull, let c = Filters.flowRun(r["flow_runs"]) { parts.append(c) }
            if !r["task_runs"].isAbsentOrNull, let c = Filters.taskRun(r["task_runs"]) { parts.append(.exists(.runTaskRuns, c)) }
            if !r["deployments"].isAbsentOrNull, let c = Filters.deployment(r["deployments"]) { parts.append(.exists(.runDeployment, c)) }
            if !r["work_pools"].isAbsentOrNull, let c = Filters.workPool(r["work_pools"]) { parts.append(.exists(.runQueueAndPool, c)) }
            if !r["work_queues"].isAbsentOrNull, let c = Filters.workQueue(r["work_queues"]) { parts.append(.exists(.runQueue, c)) }
            condition = .all(parts)
        }
        try context.check()
        guard let start, let end, let interval else { throw ValidationFailure([]) }
        if interval < 1 { throw InvalidQuery(detail: "History interval must not be less than 1 second.") }
        return HistoryQuery(start: start, end: end, intervalSeconds: interval, condition: condition)
    }
}

/// A PATCH body: the keys present and their values, validated per model.
public struct Patch: Sendable, Equatable {
    /// Each present key's validated value.
    public var values: [String: JSONValue]

    /// Whether the body set `key`.
    public func has(_ key: String) -> Bool { values[key] != nil }

    /// `FlowRunUpdate`: name, flow_version, parameters, empirical_policy, tags, infrastructure_pid, job_variables.
    public static func flowRun(_ field: JSONField) -> Patch? {
        guard let r = field.model(known: ["name", "flow_version", "parameters", "empirical_policy", "tags", "infrastructure_pid", "job_variables"])
        else { return nil }
        var v: [String: JSONValue] = [:]
        if r["name"].value != nil { v["name"] = .string((r["name"].string()).flatMap { $0.isEmpty ? nil : $0 } ?? NameGenerator.slug()) }
        if r["flow_version"].value != nil { v["flow_version"] = r["flow_version"].string().map(JSONValue.string) ?? .null }
        if r["parameters"].value != nil, let p = r["parameters"].object() { v["parameters"] = p }
        if r["empirical_policy"].value != nil, let p = FlowRunPolicy.read(r["empirical_policy"]) {
            // Deliberate try?: the writer's own output always parses; null is unreachable.
            v["empirical_policy"] = (try? JSONParser.parse(p.jsonBytes())) ?? .null
        }
        if r["tags"].value != nil, let t = r["tags"].tags() { v["tags"] = .array(t.map(JSONValue.string)) }
        if r["infrastructure_pid"].value != nil { v["infrastructure_pid"] = r["infrastructure_pid"].string().map(JSONValue.string) ?? .null }
        if r["job_variables"].value != nil { v["job_variables"] = r["job_variables"].isAbsentOrNull ? .null : (r["job_variables"].object() ?? .null) }
        guard field.context.issues.isEmpty else { return nil }
        return Patch(values: v)
    }

    /// `TaskRunUpdate`: name only.
    public static func taskRun(_ field: JSONField) -> Patch? {
        guard let r = field.model(known: ["name"]) else { return nil }
        var v: [String: JSONValue] = [:]
        if r["name"].value != nil { v["name"] = .string((r["name"].string()).flatMap { $0.isEmpty ? nil : $0 } ?? NameGenerator.slug()) }
        guard field.context.issues.isEmpty else { return nil }
        return Patch(values: v)
    }

    /// `FlowUpdate`: tags only.
    public static func flow(_ field: JSONField) -> Patch? {
        guard let r = field.model(known: ["tags"]) else { return nil }
        var v: [String: JSONValue] = [:]
        if r["tags"].value != nil, let t = r["tags"].tags() { v["tags"] = .array(t.map(JSONValue.string)) }
        guard field.context.issues.isEmpty else { return nil }
        return Patch(values: v)
    }
}

/// Deployment sorts (`DeploymentSort`).
public enum DeploymentSort: String, Sendable, CaseIterable {
    case CREATED_DESC, UPDATED_DESC, NAME_ASC, NAME_DESC
}

/// The body of `POST /deployments/filter`.
public struct ReadDeploymentsQuery: Sendable, Equatable {
    public var condition: Condition
    public var sort: DeploymentSort
    public var paging: Paging
    /// The requested page, for `/deployments/paginate`.
    public var page: PageRequest?

    /// What the body is for: `filter` (sort, limit, offset), `count` (filters only; other keys are
    /// ignored, as the reference's count has no such parameters) or `paginate` (sort, limit, page).
    public enum Purpose: Sendable { case filter, count, paginate }

    /// Validates a body: the six filters relative to deployments, and a sort and paging by purpose.
    public static func read(_ body: JSONValue?, defaultLimit: Int, purpose: Purpose = .filter) throws -> ReadDeploymentsQuery {
        let context = ValidationContext()
        let paging: [String] =
            switch purpose {
            case .filter: ["limit", "offset", "sort"]
            case .count: []
            case .paginate: ["limit", "page", "sort"]
            }
        let r = BodyReader.topLevel(
            body,
            context: context,
            fields: paging + ["flows", "flow_runs", "task_runs", "deployments", "work_pools", "work_pool_queues"]
        )
        var parts: [Condition] = []
        if !r["deployments"].isAbsentOrNull, let c = Filters.deployment(r["deployments"]) { parts.append(c) }
        if !r["flows"].isAbsentOrNull, let c = Filters.flow(r["flows"]) { parts.append(.exists(.deploymentFlow, c)) }
        var runParts: [Condition] = []
        var runSide = false
        if !r["flow_runs"].isAbsentOrNull {
            runSide = true
            if let c = Filters.flowRun(r["flow_runs"]) { runParts.append(c) }
        }
        if !r["task_runs"].isAbsentOrNull {
            runSide = true
            if let c = Filters.taskRun(r["task_runs"]) { runParts.append(.exists(.runTaskRuns, c)) }
        }
        if runSide { parts.append(.exists(.deploymentRuns, .all(runParts))) }
        if !r["work_pools"].isAbsentOrNull, let c = Filters.workPool(r["work_pools"]) { parts.append(.exists(.deploymentQueueAndPool, c)) }
        if !r["work_pool_queues"].isAbsentOrNull, let c = Filters.workQueue(r["work_pool_queues"]) { parts.append(.exists(.deploymentQueue, c)) }
        var sort = DeploymentSort.NAME_ASC
        var query = Paging(limit: defaultLimit, offset: 0)
        var page: PageRequest?
        var problem: InvalidQuery?
        if purpose != .count, !r["sort"].isAbsentOrNull, let s = r["sort"].enumeration(DeploymentSort.self) { sort = s }
        switch purpose {
        case .count: break
        case .filter: (query, problem) = Paging.read(r, defaultLimit: defaultLimit)
        case .paginate:
            let (p, limitProblem) = PageRequest.read(r, defaultLimit: defaultLimit)
            page = p
            query = Paging(limit: p.limit, offset: p.offset)
            problem = limitProblem
        }
        try context.check()
        if let problem { throw problem }
        return ReadDeploymentsQuery(condition: .all(parts), sort: sort, paging: query, page: page)
    }
}

/// The body of `POST /work_pools/filter` and `POST /work_queues/filter`: one filter and paging.
public struct SimpleFilterQuery: Sendable, Equatable {
    public var condition: Condition
    public var paging: Paging

    /// Validates a body whose filter is under `key`.
    public static func read(_ body: JSONValue?, key: String, defaultLimit: Int, parse: (JSONField) -> Condition?) throws -> SimpleFilterQuery {
        let context = ValidationContext()
        let r = BodyReader.topLevel(body, context: context, fields: [key, "limit", "offset"])
        var condition: Condition = .always
        if !r[key].isAbsentOrNull, let c = parse(r[key]) { condition = c }
        let (paging, problem) = Paging.read(r, defaultLimit: defaultLimit)
        try context.check()
        if let problem { throw problem }
        return SimpleFilterQuery(condition: condition, paging: paging)
    }
}
