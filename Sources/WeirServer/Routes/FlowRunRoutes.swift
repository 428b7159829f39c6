import Hummingbird
import WeirModels
import WeirStore

/// `/flow_runs`: create, read, set_state, and Read Flow Runs (`filter`, `count`).
struct FlowRunRoutes {
    let store: Store
    let settings: Settings

    /// Flow runs as a JSON array, with estimates computed at one instant.
    static func encode(_ runs: [FlowRun]) -> [UInt8] {
        let now = Timestamp.now()
        var w = JSONWriter(capacity: 2048 * max(1, runs.count))
        w.beginArray()
        for run in runs { run.write(to: &w, now: now) }
        w.endArray()
        return w.bytes
    }

    static func encode(_ run: FlowRun) -> [UInt8] {
        var w = JSONWriter(capacity: 2048)
        run.write(to: &w, now: .now())
        return w.bytes
    }

    func register(on api: RouterGroup<WeirContext>) {
        api.post("flow_runs/") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request)
            let create = try body.model { FlowRunCreate.read($0, forDeployment: false) }
            let (run, created) = try await store.flowRuns.create(create, createdBy: try automationCreator(request))
            return jsonResponse(Self.encode(run), status: created ? .created : .ok)
        }
        api.get("flow_runs/:id") { _, context in
            guard let run = try await store.flowRuns.get(try context.parameters.uuid("id")) else { throw DetailError(status: .notFound, detail: "Flow run not found") }
            return jsonResponse(Self.encode(run))
        }
        api.post("flow_runs/:id/set_state") { request, context in
            let id = try context.parameters.uuid("id")
            var request = request
            let body = try await RequestBody.read(&request)
            let proposal = try body.model(SetStateRequest.read)
            guard let result = try await store.flowRuns.setState(id, proposal) else {
                throw ExceptionMessageError(status: .notFound, message: "Flow run with id \(id.uuidString.lowercased()) not found")
            }
            return jsonResponse(result, status: result.wroteState ? .created : .ok)
        }
        api.post("flow_runs/filter") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request)
            let query = try body.query { try ReadFlowRunsQuery.read($0, defaultLimit: settings.defaultLimit) }
            return jsonResponse(Self.encode(try await store.flowRuns.filter(query)))
        }
        api.post("flow_runs/count") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request)
            let query = try body.query(CountFlowRunsQuery.read)
            return jsonResponse(Array(String(try await store.flowRuns.count(query)).utf8))
        }
    }
}
