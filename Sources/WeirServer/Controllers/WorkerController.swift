import Hummingbird
import WeirModels
import WeirStore

/// `/work_pools/{name}/workers`: heartbeats, listing and deletion of a pool's workers, and the
/// worker's poll for due runs.
struct WorkerController {
    let store: Store
    let settings: Settings

    func addRoutes(to api: RouterGroup<WeirContext>) {
        api.post("work_pools/:name/workers/heartbeat", use: heartbeat)
        api.post("work_pools/:name/workers/filter", use: filter)
        api.delete("work_pools/:name/workers/:worker", use: delete)
        api.post("work_pools/:name/get_scheduled_flow_runs", use: scheduledRuns)
    }

    /// `POST /work_pools/{name}/workers/heartbeat`: 204.
    @Sendable func heartbeat(_ request: Request, context: WeirContext) async throws -> Response {
        let heartbeat = try await request.body(settings.limits).query(WorkerHeartbeat.read)
        try await store.workers.heartbeat(pool: try context.parameters.string("name"), heartbeat)
        return .noContent
    }

    /// `POST /work_pools/{name}/workers/filter`: `workers` (a `WorkerFilter`), `limit`, `offset`.
    @Sendable func filter(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query {
            try SimpleFilterQuery.read($0, key: "workers", defaultLimit: settings.defaultLimit, parse: Filters.worker)
        }
        let now = Timestamp.now()
        let workers = try await store.workers.filter(pool: try context.parameters.string("name"), query)
        return .json(workers.map { WorkerResponse($0, now: now) })
    }

    /// `DELETE /work_pools/{name}/workers/{worker}`: 204, or 404 "Worker not found.".
    @Sendable func delete(_ request: Request, context: WeirContext) async throws -> Response {
        let deleted = try await store.workers.delete(pool: try context.parameters.string("name"), name: try context.parameters.string("worker"))
        guard deleted else { throw APIError.notFound("Worker not found.") }
        return .noContent
    }

    /// `POST /work_pools/{name}/get_scheduled_flow_runs`: `[{work_pool_id, work_queue_id, flow_run}]`.
    @Sendable func scheduledRuns(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try WorkerPollQuery.read($0, defaultLimit: settings.defaultLimit) }
        return .json(try await store.workPools.scheduledRuns(pool: try context.parameters.string("name"), query))
    }
}
