import Foundation
import HTTPTypes
import Hummingbird
import WeirModels
import WeirStore

/// `/logs`: batches of log lines in, filtered reads out, and a run's logs as CSV.
struct LogController {
    let store: Store
    let settings: Settings

    func addRoutes(to api: RouterGroup<WeirContext>) {
        api.post("logs/", use: create)
        api.post("logs/filter", use: filter)
        api.get("flow_runs/:id/logs/download", use: download)
    }

    /// `POST /logs/`: 201 `null`.
    @Sendable func create(_ request: Request, context: WeirContext) async throws -> Response {
        let logs = try await request.body(settings.limits).model(LogCreate.readList)
        try await store.logs.create(logs)
        return .json(JSONNull(), status: .created)
    }

    @Sendable func filter(_ request: Request, context: WeirContext) async throws -> Response {
        let query = try await request.body(settings.limits).query { try ReadLogsQuery.read($0, defaultLimit: settings.defaultLimit) }
        return .json(try await store.logs.filter(query))
    }

    /// `GET /flow_runs/{id}/logs/download`: the run's logs as a CSV attachment named after the run.
    @Sendable func download(_ request: Request, context: WeirContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        guard let run = try await store.flowRuns.get(id) else { throw APIError.notFound("Flow run not found") }
        var csv = "timestamp,level,flow_run_id,task_run_id,message\r\n"
        for log in try await store.logs.all(flowRunId: id) {
            let fields = [
                log.timestamp.pythonString,
                String(log.level),
                log.flowRunId?.uuidString.lowercased() ?? "",
                log.taskRunId?.uuidString.lowercased() ?? "",
                log.message,
            ]
            csv += fields.map(Self.csvField).joined(separator: ",") + "\r\n"
        }
        let filename =
            (run.name + "-logs.csv").addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? "flow-run-logs.csv"
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"flow-run-logs.csv\"; filename*=UTF-8''\(filename)"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    /// A CSV field as Python's `csv.writer` (QUOTE_MINIMAL) writes it.
    static func csvField(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
