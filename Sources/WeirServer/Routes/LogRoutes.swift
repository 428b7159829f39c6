import Foundation
import HTTPTypes
import Hummingbird
import WeirModels
import WeirStore

/// `/logs`: batches of log lines in, filtered reads out.
struct LogRoutes {
    let store: Store
    let settings: Settings

    /// A CSV field as Python's `csv.writer` (QUOTE_MINIMAL) writes it.
    static func csvField(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func register(on api: RouterGroup<WeirContext>) {
        api.post("logs/") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let logs = try body.model(LogCreate.readList)
            try await store.logs.create(logs)
            return jsonResponse(Array("null".utf8), status: .created)
        }
        api.get("flow_runs/:id/logs/download") { _, context in
            let id = try context.parameters.uuid("id")
            guard let run = try await store.flowRuns.get(id) else { throw DetailError(status: .notFound, detail: "Flow run not found") }
            var csv = "timestamp,level,flow_run_id,task_run_id,message\r\n"
            for log in try await store.logs.all(flowRunId: id) {
                let fields = [
                    log.timestamp.pythonString, String(log.level), log.flowRunId?.uuidString.lowercased() ?? "",
                    log.taskRunId?.uuidString.lowercased() ?? "", log.message,
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
        api.post("logs/filter") { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let query = try body.query { try ReadLogsQuery.read($0, defaultLimit: settings.defaultLimit) }
            return jsonResponse(try await store.logs.filter(query))
        }
    }
}
