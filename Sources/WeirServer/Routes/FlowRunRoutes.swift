import Hummingbird
import WeirModels
import WeirOrchestration
import WeirStore

/// `/flow_runs`: create, read, set_state, and Read Flow Runs (`filter`, `count`).
struct FlowRunRoutes {
    let store: Store
    let settings: Settings

    /// Flow runs as a JSON array, with estimates computed at one instant.
    static func encode(_ runs: [FlowRun]) -> [UInt8] {
        FlowRun.jsonArray(runs)
    }

    static func encode(_ run: FlowRun) -> [UInt8] {
        var w = JSONWriter(capacity: 2048)
        run.write(to: &w, now: .now())
        return w.bytes
    }

    func register(on api: RouterGroup<WeirContext>) {
        api.post("flow_runs/") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let create = try body.model { FlowRunCreate.read($0, forDeployment: false) }
            let (run, created) = try await store.flowRuns.create(create, createdBy: try automationCreator(request))
            return jsonResponse(Self.encode(run), status: created ? .created : .ok)
        }
        api.get("flow_runs/:id") { _, context in
            guard let run = try await store.flowRuns.get(try context.parameters.uuid("id")) else {
                throw DetailError(status: .notFound, detail: "Flow run not found")
            }
            return jsonResponse(Self.encode(run))
        }
        api.post("flow_runs/:id/set_state") { request, context in
            let id = try context.parameters.uuid("id")
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let proposal = try body.model(SetStateRequest.read)
            guard let result = try await store.flowRuns.setState(id, proposal) else {
                throw ExceptionMessageError(status: .notFound, message: "Flow run with id \(id.uuidString.lowercased()) not found")
            }
            return jsonResponse(result, status: result.wroteState ? .created : .ok)
        }
        api.delete("flow_runs/:id") { _, context in
            guard try await store.flowRuns.delete(try context.parameters.uuid("id")) else {
                throw DetailError(status: .notFound, detail: "Flow run not found")
            }
            return Response(status: .noContent)
        }
        api.get("flow_run_states/") { request, _ in
            let id = try queryUUID(request, "flow_run_id")
            return jsonResponse(try await store.states.history(kind: .flow, runId: id))
        }
        api.get("flow_run_states/:id") { _, context in
            guard let state = try await store.states.get(kind: .flow, id: try context.parameters.uuid("id")) else {
                throw DetailError(status: .notFound, detail: "Flow run state not found")
            }
            return jsonResponse(state)
        }
        api.patch("flow_runs/:id") { request, context in
            let id = try context.parameters.uuid("id")
            var request = request
            let patch = try await RequestBody.read(&request, limits: settings.limits).model(Patch.flowRun)
            guard try await store.flowRuns.update(id, patch) else { throw DetailError(status: .notFound, detail: "Flow run not found") }
            return Response(status: .noContent)
        }
        api.patch("flow_runs/:id/labels") { request, context in
            let id = try context.parameters.uuid("id")
            var request = request
            let labels = try await RequestBody.read(&request, limits: settings.limits).model { $0.labels() }
            guard try await store.flowRuns.updateLabels(id, labels) else {
                throw ExceptionMessageError(status: .notFound, message: "Flow run with id \(id.uuidString.lowercased()) not found")
            }
            return Response(status: .noContent)
        }
        api.post("flow_runs/bulk_delete") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query {
                try BulkQuery.read($0, filterKey: "flow_runs", withState: false)
            }
            return deletedResponse(try await store.flowRuns.bulkDelete(query))
        }
        api.post("flow_runs/bulk_set_state") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query {
                try BulkQuery.read($0, filterKey: "flow_runs", withState: true)
            }
            let results = try await store.flowRuns.bulkSetState(query)
            var w = JSONWriter(capacity: 2048 * max(1, results.count))
            w.beginObject()
            w.key("results")
            w.beginArray()
            for (id, result) in results {
                w.beginObject()
                w.key("flow_run_id")
                w.uuid(id)
                w.key("status")
                w.string(result.status.rawValue)
                w.key("state")
                if let state = result.state { state.write(to: &w) } else { w.null() }
                w.key("details")
                result.writeDetails(to: &w)
                w.endObject()
            }
            w.endArray()
            w.endObject()
            return jsonResponse(w.bytes)
        }
        api.post("flow_runs/paginate") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query {
                try PaginateFlowRunsQuery.read($0, defaultLimit: settings.defaultLimit)
            }
            let (runs, count) = try await store.flowRuns.paginate(query)
            let now = Timestamp.now()
            return pageResponse(count: count, page: query.page) { w in
                w.beginArray()
                for run in runs { run.write(to: &w, now: now) }
                w.endArray()
            }
        }
        api.post("flow_runs/history") { request, _ in
            var request = request
            let query = try historyQuery(try await RequestBody.read(&request, limits: settings.limits), forTaskRuns: false)
            return jsonResponse(try await store.flowRuns.history(query))
        }
        api.post("flow_runs/lateness") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query(CountFlowRunsQuery.read)
            let lateness = try await store.flowRuns.lateness(query)
            return jsonResponse(Array((lateness.map { JSONWriter.pythonFloat($0) } ?? "null").utf8))
        }
        api.get("flow_runs/:id/graph-v2") { request, context in
            let id = try context.parameters.uuid("id")
            var since: Timestamp?
            if let text = request.uri.queryParameters["since"] {
                guard let t = Timestamp(iso8601: String(text)) else {
                    let reason = text.count < 10 ? "input is too short" : "invalid character in year"
                    throw RequestValidationError(
                        issues: [
                            ValidationIssue(
                                type: "datetime_from_date_parsing",
                                loc: [.key("query"), .key("since")],
                                msg: "Input should be a valid datetime or date, \(reason)",
                                input: .string(String(text)),
                                ctx: .object([("error", .string(reason))])
                            )
                        ],
                        body: .null
                    )
                }
                since = t
            }
            guard let graph = try await store.flowRuns.graph(id, since: since) else {
                throw ExceptionMessageError(status: .notFound, message: "Flow run \(id.uuidString.lowercased()) not found")
            }
            return jsonResponse(graph)
        }
        api.post("flow_runs/:id/resume") { request, context in
            let id = try context.parameters.uuid("id")
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            _ = try body.query { json -> Bool in
                let ctx = ValidationContext()
                let r = BodyReader.topLevel(json, context: ctx, fields: ["run_input"])
                _ = r["run_input"].object()
                try ctx.check()
                return true
            }
            guard let result = try await store.flowRuns.resume(id) else { throw DetailError(status: .notFound, detail: "Flow run not found") }
            return jsonResponse(result, status: result.wroteState ? .created : .ok)
        }
        api.post("flow_runs/filter") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let query = try body.query { try ReadFlowRunsQuery.read($0, defaultLimit: settings.defaultLimit) }
            return jsonResponse(Self.encode(try await store.flowRuns.filter(query)))
        }
        api.post("flow_runs/count") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let query = try body.query(CountFlowRunsQuery.read)
            return jsonResponse(Array(String(try await store.flowRuns.count(query)).utf8))
        }
    }
}
