import Hummingbird
import WeirModels
import WeirStore

/// `/work_pools` and `/work_queues`: pools and their queues.
struct WorkPoolController {
    let store: Store
    let settings: Settings

    func addRoutes(to api: RouterGroup<WeirContext>) {
        api.post("work_pools/", use: create)
        api.get("work_pools/:name", use: get)
        api.patch("work_pools/:name", use: update)
        api.delete("work_pools/:name", use: delete)
        api.post("work_pools/count", use: count)
        api.post("work_pools/filter", use: filter)
        api.post("work_pools/:name/queues", use: createQueue)
        api.get("work_pools/:name/queues/:queue", use: getQueue)
        api.patch("work_pools/:name/queues/:queue", use: updateQueue)
        api.delete("work_pools/:name/queues/:queue", use: deleteQueue)
        api.post("work_pools/:name/queues/filter", use: filterPoolQueues)
        api.get("work_queues/:id", use: getQueueById)
        api.post("work_queues/filter", use: filterQueues)
    }

    @Sendable func create(_ request: Request, context: WeirContext) async throws -> Response {
        let create = try await request.body(settings.limits).model(WorkPoolCreate.read)
        return .json(try await store.workPools.create(create), status: .created)
    }

    @Sendable func get(_ request: Request, context: WeirContext) async throws -> Response {
        let name = try context.parameters.string("name")
        guard let pool = try await store.workPools.get(name: name) else { throw APIError.notFound("Work pool \"\(name)\" not found.") }
        return .json(pool)
    }

    /// `PATCH /work_pools/{name}`: 204.
    @Sendable func update(_ request: Request, context: WeirContext) async throws -> Response {
        let name = try context.parameters.string("name")
        let update = try await request.body(settings.limits).model(WorkPoolUpdate.read)
        try await store.workPools.update(name: name, update)
        return .noContent
    }

    /// `DELETE /work_pools/{name}`: 204.
    @Sendable func delete(_ request: Request, context: WeirContext) async throws -> Response {
        try await store.workPools.delete(name: try context.parameters.string("name"))
        return .noContent
    }

    /// `POST /work_pools/count`: `work_pools` (a `WorkPoolFilter`).
    @Sendable func count(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try SimpleFilterQuery.read($0, key: "work_pools", defaultLimit: settings.defaultLimit, parse: Filters.workPool)
        }
        return .json(try await store.workPools.count(query.condition))
    }

    @Sendable func filter(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try SimpleFilterQuery.read($0, key: "work_pools", defaultLimit: settings.defaultLimit, parse: Filters.workPool)
        }
        return .json(try await store.workPools.filter(query))
    }

    @Sendable func createQueue(_ request: Request, context: WeirContext) async throws -> Response {
        let pool = try context.parameters.string("name")
        let create = try await request.body(settings.limits).model(WorkQueueCreate.read)
        return .json(try await store.workPools.createQueue(pool: pool, create), status: .created)
    }

    @Sendable func getQueue(_ request: Request, context: WeirContext) async throws -> Response {
        let pool = try context.parameters.string("name")
        let queue = try context.parameters.string("queue")
        guard let q = try await store.workPools.getQueue(pool: pool, name: queue) else {
            throw APIError.notFound("Work pool queue '\(pool)/\(queue)' not found.")
        }
        return .json(q)
    }

    /// `PATCH /work_pools/{name}/queues/{queue}`: 204.
    @Sendable func updateQueue(_ request: Request, context: WeirContext) async throws -> Response {
        let pool = try context.parameters.string("name")
        let queue = try context.parameters.string("queue")
        let update = try await request.body(settings.limits).model(WorkQueueUpdate.read)
        try await store.workPools.updateQueue(pool: pool, name: queue, update)
        return .noContent
    }

    /// `DELETE /work_pools/{name}/queues/{queue}`: 204.
    @Sendable func deleteQueue(_ request: Request, context: WeirContext) async throws -> Response {
        try await store.workPools.deleteQueue(pool: try context.parameters.string("name"), name: try context.parameters.string("queue"))
        return .noContent
    }

    @Sendable func filterPoolQueues(_ request: Request, context: WeirContext) async throws -> Response {
        let pool = try context.parameters.string("name")
        let query = try await request.body(settings.limits).query { try ReadWorkQueuesQuery.read($0, defaultLimit: settings.defaultLimit) }
        return .json(try await store.workPools.filterQueues(pool: pool, query))
    }

    @Sendable func getQueueById(_ request: Request, context: WeirContext) async throws -> Response {
        guard let q = try await store.workPools.getQueue(id: try context.parameters.uuid("id")) else {
            throw APIError.notFound("work queue not found")
        }
        return .json(q)
    }

    @Sendable func filterQueues(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try SimpleFilterQuery.read($0, key: "work_queues", defaultLimit: settings.defaultLimit, parse: Filters.workQueue)
        }
        return .json(try await store.workPools.filterAllQueues(query))
    }
}
