import Hummingbird
import WeirModels
import WeirOrchestration
import WeirStore

/// `/task_runs`: create, read, set_state.
struct TaskRunRoutes {
    let store: Store
    let settings: Settings

    static func encode(_ run: TaskRun) -> [UInt8] {
        var w = JSONWriter(capacity: 2048)
        run.write(to: &w, now: .now())
        return w.bytes
    }

    func register(on api: RouterGroup<WeirContext>) {
        api.post("task_runs/") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let create = try body.model(TaskRunCreate.read)
            let (run, created) = try await store.taskRuns.create(create)
            return jsonResponse(Self.encode(run), status: created ? .created : .ok)
        }
        api.get("task_runs/:id") { _, context in
            guard let run = try await store.taskRuns.get(try context.parameters.uuid("id")) else {
                throw DetailError(status: .notFound, detail: "Task not found")
            }
            return jsonResponse(Self.encode(run))
        }
        api.patch("task_runs/:id") { request, context in
            let id = try context.parameters.uuid("id")
            var request = request
            let patch = try await RequestBody.read(&request, limits: settings.limits).model(Patch.taskRun)
            guard try await store.taskRuns.update(id, patch) else { throw DetailError(status: .notFound, detail: "Task run not found") }
            return Response(status: .noContent)
        }
        api.post("task_runs/filter") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query {
                try ReadTaskRunsQuery.read($0, defaultLimit: settings.defaultLimit, paginate: false)
            }
            let runs = try await store.taskRuns.filter(query)
            let now = Timestamp.now()
            var w = JSONWriter(capacity: 2048 * max(1, runs.count))
            w.beginArray()
            for run in runs { run.write(to: &w, now: now) }
            w.endArray()
            return jsonResponse(w.bytes)
        }
        api.post("task_runs/count") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query(CountTaskRunsQuery.read)
            return jsonResponse(Array(String(try await store.taskRuns.count(query.filter)).utf8))
        }
        api.post("task_runs/paginate") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query {
                try ReadTaskRunsQuery.read($0, defaultLimit: settings.defaultLimit, paginate: true)
            }
            let runs = try await store.taskRuns.filter(query)
            let count = try await store.taskRuns.count(query.filter)
            let now = Timestamp.now()
            return pageResponse(count: count, page: query.page ?? PageRequest(limit: query.paging.limit, page: 1)) { w in
                w.beginArray()
                for run in runs { run.writeSummary(to: &w, now: now) }
                w.endArray()
            }
        }
        api.post("task_runs/history") { request, _ in
            var request = request
            let query = try historyQuery(try await RequestBody.read(&request, limits: settings.limits), forTaskRuns: true)
            return jsonResponse(try await store.taskRuns.history(query))
        }
        api.delete("task_runs/:id") { _, context in
            guard try await store.taskRuns.delete(try context.parameters.uuid("id")) else {
                throw DetailError(status: .notFound, detail: "Task not found")
            }
            return Response(status: .noContent)
        }
        api.get("task_run_states/") { request, _ in
            let id = try queryUUID(request, "task_run_id")
            return jsonResponse(try await store.states.history(kind: .task, runId: id))
        }
        api.get("task_run_states/:id") { _, context in
            guard let state = try await store.states.get(kind: .task, id: try context.parameters.uuid("id")) else {
                throw DetailError(status: .notFound, detail: "Flow run state not found")
            }
            return jsonResponse(state)
        }
        api.post("task_runs/:id/set_state") { request, context in
            let id = try context.parameters.uuid("id")
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let proposal = try body.model(SetStateRequest.read)
            guard let result = try await store.taskRuns.setState(id, proposal) else {
                throw ExceptionMessageError(status: .notFound, message: "Task run with id \(id.uuidString.lowercased()) not found")
            }
            return jsonResponse(result, status: result.wroteState ? .created : .ok)
        }
    }
}
