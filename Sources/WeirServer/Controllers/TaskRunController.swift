import Hummingbird
import WeirModels
import WeirOrchestration
import WeirStore

/// `/task_runs` and `/task_run_states`: create, read, update, set_state, filter, count, history.
struct TaskRunController {
    let store: Store
    let settings: Settings

    func addRoutes(to api: RouterGroup<WeirContext>) {
        api.post("task_runs/", use: create)
        api.get("task_runs/:id", use: get)
        api.patch("task_runs/:id", use: update)
        api.delete("task_runs/:id", use: delete)
        api.post("task_runs/:id/set_state", use: setState)
        api.post("task_runs/filter", use: filter)
        api.post("task_runs/count", use: count)
        api.post("task_runs/paginate", use: paginate)
        api.post("task_runs/history", use: history)
        api.get("task_run_states/", use: states)
        api.get("task_run_states/:id", use: state)
    }

    /// `POST /task_runs/`: 201 with a new run, 200 with the existing one of that cache key.
    @Sendable func create(_ request: Request, context: WeirContext) async throws -> Response {
        let create = try await request.body(settings.limits).model(TaskRunCreate.read)
        let (run, created) = try await store.taskRuns.create(create)
        return .json(AtInstant(run), status: created ? .created : .ok)
    }

    @Sendable func get(_ request: Request, context: WeirContext) async throws -> Response {
        guard let run = try await store.taskRuns.get(try context.parameters.uuid("id")) else { throw APIError.notFound("Task not found") }
        return .json(AtInstant(run))
    }

    @Sendable func update(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let patch = try await request.body(settings.limits).model(Patch.taskRun)
        guard try await store.taskRuns.update(id, patch) else { throw APIError.notFound("Task run not found") }
        return .noContent
    }

    @Sendable func delete(_ request: Request, context: WeirContext) async throws -> Response {
        guard try await store.taskRuns.delete(try context.parameters.uuid("id")) else { throw APIError.notFound("Task not found") }
        return .noContent
    }

    /// `POST /task_runs/{id}/set_state`: the proposal through the task run rules.
    @Sendable func setState(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let proposal = try await request.body(settings.limits).model(SetStateRequest.read)
        guard let result = try await store.taskRuns.setState(id, proposal) else { throw APIError.notFound("Task run", id: id) }
        return .json(result, status: result.wroteState ? .created : .ok)
    }

    @Sendable func filter(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try ReadTaskRunsQuery.read($0, defaultLimit: settings.defaultLimit, paginate: false)
        }
        return .json(AtInstant(try await store.taskRuns.filter(query)))
    }

    @Sendable func count(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query(CountTaskRunsQuery.read)
        return .json(try await store.taskRuns.count(query.filter))
    }

    @Sendable func paginate(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try ReadTaskRunsQuery.read($0, defaultLimit: settings.defaultLimit, paginate: true)
        }
        let runs = try await store.taskRuns.filter(query)
        let count = try await store.taskRuns.count(query.filter)
        let page = query.page ?? PageRequest(limit: query.paging.limit, page: 1)
        return .json(Page(AtInstant(runs.map(TaskRunSummary.init)), count: count, request: page))
    }

    @Sendable func history(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try HistoryQuery.read($0, forTaskRuns: true) }
        return .json(try await store.taskRuns.history(query))
    }

    /// `GET /task_run_states/?task_run_id=`: a run's states, oldest first.
    @Sendable func states(_ request: Request, context: WeirContext) async throws -> Response {
        .json(try await store.states.history(kind: .task, runId: try request.queryUUID("task_run_id")))
    }

    @Sendable func state(_ request: Request, context: WeirContext) async throws -> Response {
        guard let state = try await store.states.get(kind: .task, id: try context.parameters.uuid("id")) else {
            throw APIError.notFound("Flow run state not found")
        }
        return .json(state)
    }
}
