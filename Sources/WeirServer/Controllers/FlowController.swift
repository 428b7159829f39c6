import Hummingbird
import WeirModels
import WeirStore

/// `/flows`: create-or-return by name, lookups, filter and count.
struct FlowController {
    let store: Store
    let settings: Settings

    func addRoutes(to api: RouterGroup<WeirContext>) {
        api.post("flows/", use: create)
        api.get("flows/:id", use: get)
        api.patch("flows/:id", use: update)
        api.delete("flows/:id", use: delete)
        api.get("flows/name/:name", use: getByName)
        api.post("flows/filter", use: filter)
        api.post("flows/count", use: count)
        api.post("flows/paginate", use: paginate)
        api.post("flows/bulk_delete", use: bulkDelete)
    }

    /// `POST /flows/`: 201 with a new flow, 200 with the existing one of that name.
    @Sendable func create(_ request: Request, context: WeirContext) async throws -> Response {
        let create = try await request.body(settings.limits).model(FlowCreate.read)
        let (flow, created) = try await store.flows.create(create)
        return .json(flow, status: created ? .created : .ok)
    }

    @Sendable func get(_ request: Request, context: WeirContext) async throws -> Response {
        guard let flow = try await store.flows.get(try context.parameters.uuid("id")) else { throw APIError.notFound("Flow not found") }
        return .json(flow)
    }

    @Sendable func update(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let patch = try await request.body(settings.limits).model(Patch.flow)
        guard try await store.flows.update(id, patch) else { throw APIError.notFound("Flow not found") }
        return .noContent
    }

    @Sendable func delete(_ request: Request, context: WeirContext) async throws -> Response {
        guard try await store.flows.delete(try context.parameters.uuid("id")) else { throw APIError.notFound("Flow not found") }
        return .noContent
    }

    @Sendable func getByName(_ request: Request, context: WeirContext) async throws -> Response {
        guard let flow = try await store.flows.get(name: try context.parameters.string("name")) else { throw APIError.notFound("Flow not found") }
        return .json(flow)
    }

    @Sendable func filter(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try ReadFlowsQuery.read($0, defaultLimit: settings.defaultLimit, counting: false)
        }
        return .json(try await store.flows.filter(query))
    }

    @Sendable func count(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try ReadFlowsQuery.read($0, defaultLimit: settings.defaultLimit, counting: true)
        }
        return .json(try await store.flows.count(query))
    }

    @Sendable func paginate(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try ReadFlowsQuery.read($0, defaultLimit: settings.defaultLimit, counting: false, paginate: true)
        }
        let flows = try await store.flows.filter(query)
        let count = try await store.flows.count(query)
        return .json(Page(flows, count: count, request: query.page ?? PageRequest(limit: query.paging.limit, page: 1)))
    }

    @Sendable func bulkDelete(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try BulkQuery.read($0, filterKey: "flows", withState: false) }
        return .json(DeletedIDs(try await store.flows.bulkDelete(query)))
    }
}
