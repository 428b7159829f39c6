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
            let body = try await RequestBody.read(&request)
            let create = try body.model(FlowCreate.read)
            let (flow, created) = try await store.flows.create(create)
            return jsonResponse(flow, status: created ? .created : .ok)
        }
        api.get("flows/:id") { _, context in
            guard let flow = try await store.flows.get(try context.parameters.uuid("id")) else { throw DetailError(status: .notFound, detail: "Flow not found") }
            return jsonResponse(flow)
        }
        api.delete("flows/:id") { _, context in
            guard try await store.flows.delete(try context.parameters.uuid("id")) else { throw DetailError(status: .notFound, detail: "Flow not found") }
            return Response(status: .noContent)
        }
        api.get("flows/name/:name") { _, context in
            guard let flow = try await store.flows.get(name: try context.parameters.string("name")) else { throw DetailError(status: .notFound, detail: "Flow not found") }
            return jsonResponse(flow)
        }
        api.post("flows/filter") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request)
            let query = try body.query { try ReadFlowsQuery.read($0, defaultLimit: settings.defaultLimit, counting: false) }
            return jsonResponse(try await store.flows.filter(query))
        }
        api.post("flows/count") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request)
            let query = try body.query { try ReadFlowsQuery.read($0, defaultLimit: settings.defaultLimit, counting: true) }
            return jsonResponse(Array(String(try await store.flows.count(query)).utf8))
        }
    }
}
