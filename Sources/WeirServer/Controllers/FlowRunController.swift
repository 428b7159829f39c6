import Hummingbird
import WeirModels
import WeirOrchestration
import WeirStore

/// `/flow_runs` and `/flow_run_states`: create, read, update, set_state, resume, Read Flow Runs
/// (`filter`, `count`, `paginate`), history, lateness and the run graph.
struct FlowRunController {
    let store: Store
    let settings: Settings

    func addRoutes(to api: RouterGroup<WeirContext>) {
        api.post("flow_runs/", use: create)
        api.get("flow_runs/:id", use: get)
        api.patch("flow_runs/:id", use: update)
        api.delete("flow_runs/:id", use: delete)
        api.patch("flow_runs/:id/labels", use: updateLabels)
        api.post("flow_runs/:id/set_state", use: setState)
        api.post("flow_runs/:id/resume", use: resume)
        api.get("flow_runs/:id/graph-v2", use: graph)
        api.post("flow_runs/filter", use: filter)
        api.post("flow_runs/count", use: count)
        api.post("flow_runs/paginate", use: paginate)
        api.post("flow_runs/history", use: history)
        api.post("flow_runs/lateness", use: lateness)
        api.post("flow_runs/bulk_delete", use: bulkDelete)
        api.post("flow_runs/bulk_set_state", use: bulkSetState)
        api.get("flow_run_states/", use: states)
        api.get("flow_run_states/:id", use: state)
    }

    /// `POST /flow_runs/`: 201 with a new run, 200 with the existing one of that idempotency key.
    @Sendable func create(_ request: Request, context: WeirContext) async throws -> Response {
        let create = try await request.body(settings.limits).model { FlowRunCreate.read($0, forDeployment: false) }
        let (run, created) = try await store.flowRuns.create(create, createdBy: try request.automationCreator())
        return .json(AtInstant(run), status: created ? .created : .ok)
    }

    @Sendable func get(_ request: Request, context: WeirContext) async throws -> Response {
        guard let run = try await store.flowRuns.get(try context.parameters.uuid("id")) else { throw APIError.notFound("Flow run not found") }
        return .json(AtInstant(run))
    }

    @Sendable func update(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let patch = try await request.body(settings.limits).model(Patch.flowRun)
        guard try await store.flowRuns.update(id, patch) else { throw APIError.notFound("Flow run not found") }
        return .noContent
    }

    @Sendable func delete(_ request: Request, context: WeirContext) async throws -> Response {
        guard try await store.flowRuns.delete(try context.parameters.uuid("id")) else { throw APIError.notFound("Flow run not found") }
        return .noContent
    }

    @Sendable func updateLabels(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let labels = try await request.body(settings.limits).model { $0.labels() }
        guard try await store.flowRuns.updateLabels(id, labels) else { throw APIError.notFound("Flow run", id: id) }
        return .noContent
    }

    /// `POST /flow_runs/{id}/set_state`: the proposal through the flow run rules; 201 when a
    /// state was written, 200 when the proposal was rejected, aborted or told to wait.
    @Sendable func setState(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let proposal = try await request.body(settings.limits).model(SetStateRequest.read)
        guard let result = try await store.flowRuns.setState(id, proposal) else { throw APIError.notFound("Flow run", id: id) }
        return .json(result, status: result.wroteState ? .created : .ok)
    }

    /// `POST /flow_runs/{id}/resume`: a paused run back to Running (`run_input` is validated as an
    /// object; Weir keeps no run input yet).
    @Sendable func resume(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        try await request.body(settings.limits).validate(fields: ["run_input"]) { _ = $0["run_input"].object() }
        guard let result = try await store.flowRuns.resume(id) else { throw APIError.notFound("Flow run not found") }
        return .json(result, status: result.wroteState ? .created : .ok)
    }

    /// `GET /flow_runs/{id}/graph-v2?since=`: the run's task runs and subflows as nodes.
    @Sendable func graph(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let since = try request.queryTimestamp("since")
        guard let graph = try await store.flowRuns.graph(id, since: since) else {
            throw APIError.exceptionMessage(.notFound, "Flow run \(id.uuidString.lowercased()) not found")
        }
        return .json(graph)
    }

    /// Read Flow Runs: `POST /flow_runs/filter`.
    @Sendable func filter(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try ReadFlowRunsQuery.read($0, defaultLimit: settings.defaultLimit) }
        return .json(AtInstant(try await store.flowRuns.filter(query)))
    }

    @Sendable func count(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query(CountFlowRunsQuery.read)
        return .json(try await store.flowRuns.count(query))
    }

    @Sendable func paginate(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try PaginateFlowRunsQuery.read($0, defaultLimit: settings.defaultLimit)
        }
        let (runs, count) = try await store.flowRuns.paginate(query)
        return .json(Page(AtInstant(runs), count: count, request: query.page))
    }

    @Sendable func history(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try HistoryQuery.read($0, forTaskRuns: false) }
        return .json(try await store.flowRuns.history(query))
    }

    /// `POST /flow_runs/lateness`: the average lateness in seconds, `null` without late runs.
    @Sendable func lateness(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query(CountFlowRunsQuery.read)
        return .json(PythonFloat(try await store.flowRuns.lateness(query)))
    }

    @Sendable func bulkDelete(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try BulkQuery.read($0, filterKey: "flow_runs", withState: false) }
        return .json(DeletedIDs(try await store.flowRuns.bulkDelete(query)))
    }

    @Sendable func bulkSetState(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try BulkQuery.read($0, filterKey: "flow_runs", withState: true) }
        return .json(BulkSetStateResults(try await store.flowRuns.bulkSetState(query)))
    }

    /// `GET /flow_run_states/?flow_run_id=`: a run's states, oldest first.
    @Sendable func states(_ request: Request, context: WeirContext) async throws -> Response {
        .json(try await store.states.history(kind: .flow, runId: try request.queryUUID("flow_run_id")))
    }

    @Sendable func state(_ request: Request, context: WeirContext) async throws -> Response {
        guard let state = try await store.states.get(kind: .flow, id: try context.parameters.uuid("id")) else {
            throw APIError.notFound("Flow run state not found")
        }
        return .json(state)
    }
}
