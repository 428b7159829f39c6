import Hummingbird
import WeirModels
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
