import HTTPTypes
import Hummingbird
import Logging

/// Logs one line per request (`POST /api/flow_runs/filter 200`), like the reference's access log,
/// so failed calls show up in the server's log.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        let level: Logger.Level = response.status.code >= 500 ? .error : (response.status.code >= 400 ? .warning : .info)
        context.logger.log(level: level, "\(request.method) \(request.uri.path) \(response.status.code)")
        return response
    }
}

/// Checks the client's `X-PREFECT-API-VERSION` header as the reference does: absent is fine, it
/// must be `x.y.z`, and not older than 0.8.0.
struct APIVersionMiddleware<Context: RequestContext>: RouterMiddleware {
    static var minimum: (Int, Int, Int) { (0, 8, 0) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let header = HTTPField.Name("X-PREFECT-API-VERSION"), let version = request.headers[header], !version.isEmpty {
            let parts = version.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 3, let major = parts[0], let minor = parts[1], let patch = parts[2] else {
                throw APIError.detail(
                    .badRequest,
                    "Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received \(version)"
                )
            }
            if (major, minor, patch) < Self.minimum {
                throw APIError.detail(.badRequest, "The request specified API version \(version) but this server requires version 0.8.0 or higher.")
            }
        }
        return try await next(request, context)
    }
}
