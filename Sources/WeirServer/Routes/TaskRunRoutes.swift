import Hummingbird
import WeirModels
import WeirOrchestration
import WeirStore

/// `/task_runs`: create, read, set_state.
struct TaskRunRoutes {
    let store: Store

    static func encode(_ run: TaskRun) -> [UInt8] {
        var w = JSONWriter(capacity: 2048)
        run.write(to: &w, now: .now())
        return w.bytes
    }

    func register(on api: RouterGroup<WeirContext>) {
        api.post("task_runs/") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request)
            let create = try body.model(TaskRunCreate.read)
            let (run, created) = try await store.taskRuns.create(create)
            return jsonResponse(Self.encode(run), status: created ? .created : .ok)
        }
        api.get("task_runs/:id") { _, context in
            guard let run = try await store.taskRuns.get(try context.parameters.uuid("id")) else { throw DetailError(status: .notFound, detail: "Task not found") }
            return jsonResponse(Self.encode(run))
        }
        api.delete("task_runs/:id") { _, context in
            guard try await store.taskRuns.delete(try context.parameters.uuid("id")) else { throw DetailError(status: .notFound, detail: "Task not found") }
            return Response(status: .noContent)
        }
        api.get("task_run_states/") { request, _ in
            guard let text = request.uri.queryParameters["task_run_id"], let id = JSONField.parseUUID(String(text)) else {
                throw RequestValidationError(issues: [ValidationIssue(type: "missing", loc: [.key("query"), .key("task_run_id")], msg: "Field required", input: .null)], body: .null)
            }
            return jsonResponse(try await store.states.history(kind: .task, runId: id))
        }
        api.get("task_run_states/:id") { _, context in
            guard let state = try await store.states.get(kind: .task, id: try context.parameters.uuid("id")) else { throw DetailError(status: .notFound, detail: "Task run state not found") }
            return jsonResponse(state)
        }
        api.post("task_runs/:id/set_state") { request, context in
            let id = try context.parameters.uuid("id")
            var request = request
            let body = try await RequestBody.read(&request)
            let proposal = try body.model(SetStateRequest.read)
            guard let result = try await store.taskRuns.setState(id, proposal) else {
                throw ExceptionMessageError(status: .notFound, message: "Task run with id \(id.uuidString.lowercased()) not found")
            }
            return jsonResponse(result, status: result.wroteState ? .created : .ok)
        }
    }
}
