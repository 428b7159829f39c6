import Hummingbird
import WeirModels
import WeirStore

/// Health, readiness, version and the other calls the client makes around a run.
struct AdminController {
    let store: Store

    /// The Prefect server version Weir answers as.
    static let version = "3.9.1"
    /// The API version of that server.
    static let apiVersion = "0.8.4"

    func addRoutes(to api: RouterGroup<WeirContext>) {
        api.get("health", use: health)
        api.get("ready", use: ready)
        api.get("hello", use: hello)
        api.get("version", use: apiVersion)
        api.get("admin/version", use: serverVersion)
        api.get("admin/storage", use: storage)
        api.get("admin/settings", use: serverSettings)
        api.get("csrf-token", use: csrfToken)
    }

    @Sendable func health(_ request: Request, context: WeirContext) async throws -> Response { .json(JSONValue.bool(true)) }

    /// `GET /ready`: 200 `{"message": "OK"}` when the database answers, else the reference's 503.
    @Sendable func ready(_ request: Request, context: WeirContext) async throws -> Response {
        if await store.isConnectable() { return .json(JSONValue.object([("message", .string("OK"))])) }
        return .json(JSONValue.object([("message", .string("Database is not available"))]), status: .serviceUnavailable)
    }

    @Sendable func hello(_ request: Request, context: WeirContext) async throws -> Response { .json(JSONValue.string("👋")) }

    @Sendable func apiVersion(_ request: Request, context: WeirContext) async throws -> Response { .json(JSONValue.string(Self.apiVersion)) }

    @Sendable func serverVersion(_ request: Request, context: WeirContext) async throws -> Response { .json(JSONValue.string(Self.version)) }

    @Sendable func storage(_ request: Request, context: WeirContext) async throws -> Response {
        .json(JSONValue.object([("default_result_storage_block_id", .null)]))
    }

    /// `GET /admin/settings`: the settings the client and UI read, as the reference's defaults.
    @Sendable func serverSettings(_ request: Request, context: WeirContext) async throws -> Response {
        let host = request.head.authority ?? "127.0.0.1:4200"
        let ui = JSONValue.object([
            ("enabled", .bool(false)),
            ("v2_enabled", .bool(true)),
            ("api_url", .string("http://\(host)/api")),
            ("serve_base", .string("/")),
            ("static_directory", .null),
            ("show_promotional_content", .bool(false)),
        ])
        let events = JSONValue.object([
            ("stream_out_enabled", .bool(true)),
            ("maximum_websocket_backfill", .string("PT15M")),
            ("websocket_backfill_page_size", .number("250")),
            ("retention_period", .string("P7D")),
        ])
        let server = JSONValue.object([
            ("analytics_enabled", .bool(false)),
            ("ui", ui),
            ("events", events),
            ("services", .object([("task_run_recorder", .object([("enabled", .bool(true))]))])),
        ])
        return .json(
            JSONValue.object([
                ("home", .null),
                ("api", .object([("url", .null), ("auth_string", .null), ("key", .null)])),
                ("server", server),
                ("ui_url", .null),
            ])
        )
    }

    /// `GET /csrf-token?client=`: CSRF protection is off, as the reference's default.
    @Sendable func csrfToken(_ request: Request, context: WeirContext) async throws -> Response {
        guard request.query("client") != nil else { throw RequestValidationError.missing([.key("query"), .key("client")]) }
        throw APIError.detail(.unprocessableContent, "CSRF protection is disabled.")
    }
}
