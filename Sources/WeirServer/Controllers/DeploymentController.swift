import Hummingbird
import WeirModels
import WeirStore

/// `/deployments`: upsert, read, filter, count, paginate, delete, pause and resume, and create a
/// flow run from a deployment.
struct DeploymentController {
    let store: Store
    let settings: Settings

    func addRoutes(to api: RouterGroup<WeirContext>) {
        api.post("deployments/", use: create)
        api.get("deployments/:id", use: get)
        api.patch("deployments/:id", use: update)
        api.get("deployments/name/:flow/:deployment", use: getByName)
        api.post("deployments/filter", use: filter)
        api.post("deployments/count", use: count)
        api.post("deployments/paginate", use: paginate)
        api.delete("deployments/:id", use: delete)
        api.post("deployments/bulk_delete", use: bulkDelete)
        api.post("deployments/:id/pause_deployment", use: pause)
        api.post("deployments/:id/resume_deployment", use: resume)
        api.post("deployments/:id/create_flow_run", use: createFlowRun)
        api.post("deployments/get_scheduled_flow_runs", use: scheduledRuns)
        api.get("deployments/:id/schedules", use: schedules)
        api.post("deployments/:id/schedules", use: createSchedules)
        api.patch("deployments/:id/schedules/:schedule", use: updateSchedule)
        api.delete("deployments/:id/schedules/:schedule", use: deleteSchedule)
        api.post("deployments/:id/schedule", use: scheduleRuns)
    }

    /// `GET /deployments/{id}/schedules`: most recently updated first.
    @Sendable func schedules(_ request: Request, context: WeirContext) async throws -> Response {
        guard let schedules = try await store.deployments.schedules(try context.parameters.uuid("id")) else {
            throw APIError.notFound("Deployment not found.")
        }
        return .json(JSONValue.array(schedules))
    }

    /// `POST /deployments/{id}/schedules`: a list of `DeploymentScheduleCreate`; 201 with the new ones.
    @Sendable func createSchedules(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let now = Timestamp.now()
        let inputs = try await request.body(settings.limits).model { f -> [DeploymentScheduleInput]? in
            f.list { DeploymentScheduleInput.read($0, update: false, now: now) }
        }
        guard let created = try await store.deployments.createSchedules(id, inputs, now: now) else {
            throw APIError.notFound("Deployment not found.")
        }
        return .json(JSONValue.array(created), status: .created)
    }

    /// `PATCH /deployments/{id}/schedules/{schedule_id}`: 204.
    @Sendable func updateSchedule(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let schedule = try context.parameters.uuid("schedule")
        let now = Timestamp.now()
        let input = try await request.body(settings.limits).model { DeploymentScheduleInput.read($0, update: true, now: now) }
        switch try await store.deployments.updateSchedule(id, schedule: schedule, input, now: now) {
        case .done: return .noContent
        case .noDeployment: throw APIError.notFound("Deployment not found.")
        case .noSchedule: throw APIError.notFound("Schedule not found.")
        }
    }

    /// `DELETE /deployments/{id}/schedules/{schedule_id}`: 204.
    @Sendable func deleteSchedule(_ request: Request, context: WeirContext) async throws -> Response {
        switch try await store.deployments.deleteSchedule(try context.parameters.uuid("id"), schedule: try context.parameters.uuid("schedule")) {
        case .done: return .noContent
        case .noDeployment: throw APIError.notFound("Deployment not found.")
        case .noSchedule: throw APIError.notFound("Schedule not found.")
        }
    }

    /// `POST /deployments/{id}/schedule`: makes the runs of the deployment's active schedules for
    /// the window given (a paused deployment too; an unknown one makes none); 200 `null`.
    @Sendable func scheduleRuns(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let window = try await request.body(settings.limits).query { try ScheduleWindow.read($0, defaults: settings.scheduleWindow) }
        _ = try await store.deployments.scheduleRuns(id, window)
        return .json(JSONNull())
    }

    /// `POST /deployments/get_scheduled_flow_runs`: a runner's poll, a plain list of flow runs.
    @Sendable func scheduledRuns(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try DeploymentPollQuery.read($0, defaultLimit: settings.defaultLimit) }
        return .json(AtInstant(try await store.deployments.scheduledRuns(query)))
    }

    /// `POST /deployments/`: creates or updates the deployment of that flow and name (201 or 200).
    @Sendable func create(_ request: Request, context: WeirContext) async throws -> Response {
        var body = try await request.body(settings.limits)
        body.json = DeploymentCreate.settingParameters(body.json)
        let now = Timestamp.now()
        let create = try body.model { DeploymentCreate.read($0, now: now) }
        let creator = try request.automationCreator()
        let (deployment, created) = try await store.deployments.upsert(create, createdBy: creator, updatedBy: creator)
        return .json(deployment, status: created ? .created : .ok)
    }

    @Sendable func get(_ request: Request, context: WeirContext) async throws -> Response {
        guard let deployment = try await store.deployments.get(try context.parameters.uuid("id")) else {
            throw APIError.notFound("Deployment not found")
        }
        return .json(deployment)
    }

    /// `PATCH /deployments/{id}`: 204; only the fields given change.
    @Sendable func update(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let now = Timestamp.now()
        let update = try await request.body(settings.limits).model { DeploymentCreate.readUpdate($0, now: now) }
        guard try await store.deployments.update(id, update) else {
            throw APIError.notFound("Deployment not found.")
        }
        return .noContent
    }

    @Sendable func getByName(_ request: Request, context: WeirContext) async throws -> Response {
        let flow = try context.parameters.string("flow")
        let name = try context.parameters.string("deployment")
        guard let deployment = try await store.deployments.get(flowName: flow, name: name) else { throw APIError.notFound("Deployment not found") }
        return .json(deployment)
    }

    @Sendable func filter(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try ReadDeploymentsQuery.read($0, defaultLimit: settings.defaultLimit) }
        return .json(try await store.deployments.filter(query))
    }

    @Sendable func count(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try ReadDeploymentsQuery.read($0, defaultLimit: settings.defaultLimit, purpose: .count)
        }
        return .json(try await store.deployments.count(query))
    }

    @Sendable func paginate(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try ReadDeploymentsQuery.read($0, defaultLimit: settings.defaultLimit, purpose: .paginate)
        }
        let (deployments, count) = try await store.deployments.paginate(query)
        return .json(Page(deployments, count: count, request: query.page ?? PageRequest(limit: query.paging.limit, page: 1)))
    }

    /// `DELETE /deployments/{id}`: with its runs still scheduled; 204.
    @Sendable func delete(_ request: Request, context: WeirContext) async throws -> Response {
        guard try await store.deployments.delete(try context.parameters.uuid("id")) else { throw APIError.notFound("Deployment not found") }
        return .noContent
    }

    /// `POST /deployments/bulk_delete`: up to `limit` (50 at most) matching deployments, by name.
    @Sendable func bulkDelete(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try BulkQuery.read($0, filterKey: "deployments", withState: false) }
        return .json(DeletedIDs(try await store.deployments.bulkDelete(query)))
    }

    /// `POST /deployments/{id}/pause_deployment`: 200 `null`; its auto-scheduled runs are deleted.
    @Sendable func pause(_ request: Request, context: WeirContext) async throws -> Response {
        guard try await store.deployments.setPaused(try context.parameters.uuid("id"), true) else { throw APIError.notFound("Deployment not found") }
        return .json(JSONNull())
    }

    /// `POST /deployments/{id}/resume_deployment`: 200 `null`.
    @Sendable func resume(_ request: Request, context: WeirContext) async throws -> Response {
        guard try await store.deployments.setPaused(try context.parameters.uuid("id"), false) else { throw APIError.notFound("Deployment not found") }
        return .json(JSONNull())
    }

    /// `POST /deployments/{id}/create_flow_run`: a run of the deployment (an empty body is allowed).
    @Sendable func createFlowRun(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let body = try await request.body(settings.limits)
        let create = body.json == nil ? FlowRunCreate() : try body.model { FlowRunCreate.read($0, forDeployment: true) }
        let (run, created) = try await store.deployments.createFlowRun(id, create, createdBy: try request.automationCreator())
        return .json(AtInstant(run), status: created ? .created : .ok)
    }
}
