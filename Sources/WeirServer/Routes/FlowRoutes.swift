import Hummingbird
import WeirModels
import WeirStore

/// `/flows`: create-or-return by name, lookups, filter and count.
struct FlowRoutes {
    let store: Store
    let settings: Settings

    func register(on api: RouterGroup<WeirContext>) {
        api.post("flows/") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let create = try body.model(FlowCreate.read)
            let (flow, created) = try await store.flows.create(create)
            return jsonResponse(flow, status: created ? .created : .ok)
        }
        api.get("flows/:id") { _, context in
            guard let flow = try await store.flows.get(try context.parameters.uuid("id")) else {
                throw DetailError(status: .notFound, detail: "Flow not found")
            }
            return jsonResponse(flow)
        }
        api.patch("flows/:id") { request, context in
            let id = try context.parameters.uuid("id")
            var request = request
            let patch = try await RequestBody.read(&request, limits: settings.limits).model(Patch.flow)
            guard try await store.flows.update(id, patch) else { throw DetailError(status: .notFound, detail: "Flow not found") }
            return Response(status: .noContent)
        }
        api.post("flows/paginate") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query {
                try ReadFlowsQuery.read($0, defaultLimit: settings.defaultLimit, counting: false, paginate: true)
            }
            let flows = try await store.flows.filter(query)
            let count = try await store.flows.count(query)
            return pageResponse(count: count, page: query.page ?? PageRequest(limit: query.paging.limit, page: 1)) { w in flows.write(to: &w) }
        }
        api.post("flows/bulk_delete") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query {
                try BulkQuery.read($0, filterKey: "flows", withState: false)
            }
            return deletedResponse(try await store.flows.bulkDelete(query))
        }
        api.delete("flows/:id") { _, context in
            guard try await store.flows.delete(try context.parameters.uuid("id")) else {
                throw DetailError(status: .notFound, detail: "Flow not found")
            }
            return Response(status: .noContent)
        }
        api.get("flows/name/:name") { _, context in
            guard let flow = try await store.flows.get(name: try context.parameters.string("name")) else {
                throw DetailError(status: .notFound, detail: "Flow not found")
            }
            return jsonResponse(flow)
        }
        api.post("flows/filter") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let query = try body.query { try ReadFlowsQuery.read($0, defaultLimit: settings.defaultLimit, counting: false) }
            return jsonResponse(try await store.flows.filter(query))
        }
        api.post("flows/count") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let query = try body.query { try ReadFlowsQuery.read($0, defaultLimit: settings.defaultLimit, counting: true) }
            return jsonResponse(Array(String(try await store.flows.count(query)).utf8))
        }
    }
}
