import Hummingbird
import WeirModels
import WeirStore

/// Health, readiness, version and the other calls the client makes around a run.
struct AdminRoutes {
    let store: Store

    /// The Prefect server version Weir answers as.
    static let version = "3.9.1"
    /// The API version of that server.
    static let apiVersion = "0.8.4"

    func register(on api: RouterGroup<WeirContext>) {
        api.get("health") { _, _ in jsonResponse(Array("true".utf8)) }
        api.get("ready", use: self.ready)
        api.get("hello") { _, _ in jsonResponse(Array("\"👋\"".utf8)) }
        api.get("version") { _, _ in jsonResponse(Array("\"\(Self.apiVersion)\"".utf8)) }
        api.get("admin/version") { _, _ in jsonResponse(Array("\"\(Self.version)\"".utf8)) }
        api.get("admin/storage") { _, _ in jsonResponse(Array("{\"default_result_storage_block_id\":null}".utf8)) }
        api.get("admin/settings") { request, _ in
            let host = request.head.authority ?? "127.0.0.1:4200"
            let settings = JSONValue.object([
                ("home", .null),
                ("api", .object([("url", .null), ("auth_string", .null), ("key", .null)])),
                (
                    "server",
                    .object([
                        ("analytics_enabled", .bool(false)),
                        (
                            "ui",
                            .object([
                                ("enabled", .bool(false)), ("v2_enabled", .bool(true)), ("api_url", .string("http://\(host)/api")),
                                ("serve_base", .string("/")), ("static_directory", .null), ("show_promotional_content", .bool(false)),
                            ])
                        ),
                        (
                            "events",
                            .object([
                                ("stream_out_enabled", .bool(true)), ("maximum_websocket_backfill", .string("PT15M")),
                                ("websocket_backfill_page_size", .number("250")), ("retention_period", .string("P7D")),
                            ])
                        ),
                        ("services", .object([("task_run_recorder", .object([("enabled", .bool(true))]))])),
                    ])
                ),
                ("ui_url", .null),
            ])
            return jsonResponse(Array(settings.jsonText.utf8))
        }
        api.get("csrf-token") { request, _ in
            guard request.uri.queryParameters["client"] != nil else {
                throw RequestValidationError(
                    issues: [ValidationIssue(type: "missing", loc: [.key("query"), .key("client")], msg: "Field required", input: .null)],
                    body: .null
                )
            }
            return detailResponse("CSRF protection is disabled.", status: .unprocessableContent)
        }
    }

    /// `GET /ready`: 200 `{"message": "OK"}` when the database answers, else the reference's 503.
    @Sendable func ready(_ request: Request, context: WeirContext) async throws -> Response {
        if await store.isConnectable() { return jsonResponse(Array(#"{"message":"OK"}"#.utf8)) }
        return jsonResponse(Array(#"{"message":"Database is not available"}"#.utf8), status: .serviceUnavailable)
    }
}
