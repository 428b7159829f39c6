import Hummingbird
import WeirModels
import WeirStore

/// `/work_pools`: pools and their queues.
struct WorkPoolRoutes {
    let store: Store
    let settings: Settings

    func register(on api: RouterGroup<WeirContext>) {
        api.post("work_pools/") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let create = try body.model(WorkPoolCreate.read)
            return jsonResponse(try await store.workPools.create(create), status: .created)
        }
        api.post("work_pools/filter") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query {
                try SimpleFilterQuery.read($0, key: "work_pools", defaultLimit: settings.defaultLimit, parse: Filters.workPool)
            }
            return jsonResponse(try await store.workPools.filter(query))
        }
        api.post("work_queues/filter") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query {
                try SimpleFilterQuery.read($0, key: "work_queues", defaultLimit: settings.defaultLimit, parse: Filters.workQueue)
            }
            return jsonResponse(try await store.workPools.filterAllQueues(query))
        }
        api.get("work_queues/:id") { _, context in
            guard let q = try await store.workPools.getQueue(id: try context.parameters.uuid("id")) else {
                throw DetailError(status: .notFound, detail: "work queue not found")
            }
            return jsonResponse(q)
        }
        api.get("work_pools/:name") { _, context in
            let name = try context.parameters.string("name")
            guard let pool = try await store.workPools.get(name: name) else {
                throw DetailError(status: .notFound, detail: "Work pool \"\(name)\" not found.")
            }
            return jsonResponse(pool)
        }
        api.post("work_pools/:name/queues") { request, context in
            let name = try context.parameters.string("name")
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let create = try body.model(WorkQueueCreate.read)
            return jsonResponse(try await store.workPools.createQueue(pool: name, create), status: .created)
        }
        api.get("work_pools/:name/queues/:queue") { _, context in
            let pool = try context.parameters.string("name")
            let queue = try context.parameters.string("queue")
            guard let q = try await store.workPools.getQueue(pool: pool, name: queue) else {
                throw DetailError(status: .notFound, detail: "Work pool queue '\(pool)/\(queue)' not found.")
            }
            return jsonResponse(q)
        }
        api.post("work_pools/:name/queues/filter") { request, context in
            let pool = try context.parameters.string("name")
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let query = try body.query { try ReadWorkQueuesQuery.read($0, defaultLimit: settings.defaultLimit) }
            return jsonResponse(try await store.workPools.filterQueues(pool: pool, query))
        }
    }
}
