import Hummingbird
import WeirModels
import WeirStore

/// `/logs`: batches of log lines in, filtered reads out.
struct LogRoutes {
    let store: Store
    let settings: Settings

    func register(on api: RouterGroup<WeirContext>) {
        api.post("logs/") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request)
            let logs = try body.model(LogCreate.readList)
            try await store.logs.create(logs)
            return jsonResponse(Array("null".utf8), status: .created)
        }
        api.post("logs/filter") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request)
            let query = try body.query { try ReadLogsQuery.read($0, defaultLimit: settings.defaultLimit) }
            return jsonResponse(try await store.logs.filter(query))
        }
    }
}
