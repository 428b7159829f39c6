import Foundation
import HTTPTypes
import Hummingbird
import WeirModels
import WeirStore

/// The errors the API answers, each rendering its own response in one of the reference's shapes
/// (Hummingbird's `HTTPResponseError`): `ErrorMiddleware` only renders them, and answers what is
/// left (an unknown error, a database that cannot be reached) itself.

/// An error answered with a status and a message, in one of the reference's two bodies:
/// `{"detail": ...}` (its `HTTPException`s) or `{"exception_message": ...}` (its handlers for
/// `ObjectNotFoundError` and unexpected errors).
struct APIError: HTTPResponseError {
    /// Which body the reference answers with.
    enum Shape: Sendable { case detail, exceptionMessage }

    var status: HTTPResponse.Status
    var message: String
    var shape: Shape = .detail
    var headers: HTTPFields = [:]

    /// `{"detail": message}` with `status`.
    static func detail(_ status: HTTPResponse.Status, _ message: String) -> APIError {
        APIError(status: status, message: message)
    }

    /// `{"exception_message": message}` with `status`.
    static func exceptionMessage(_ status: HTTPResponse.Status, _ message: String) -> APIError {
        APIError(status: status, message: message, shape: .exceptionMessage)
    }

    /// 404 `{"detail": message}`: the reference's answer to a missing object (`"Flow not found"`).
    static func notFound(_ message: String) -> APIError { .detail(.notFound, message) }

    /// 404 `{"exception_message": "<What> with id <id> not found"}`, the reference's
    /// `ObjectNotFoundError` answer for runs.
    static func notFound(_ what: String, id: UUID) -> APIError {
        .exceptionMessage(.notFound, "\(what) with id \(id.uuidString.lowercased()) not found")
    }

    /// A path that matches no route, or a malformed id in one (`{id:uuid}` does not match).
    static let noRoute = APIError.notFound("Not Found")

    /// The reference's answer to a body it cannot read as JSON at all (not UTF-8, too deep).
    static let unparsableBody = APIError.detail(.badRequest, "There was an error parsing the body")

    /// A body over `WEIR_SERVER_API_MAX_BODY_BYTES`.
    static let bodyTooLarge = APIError.detail(.contentTooLarge, "Request Entity Too Large")

    /// The reference's 503 for errors a client may retry, with `Retry-After` (which the Prefect
    /// client honours) so clients back off while the database is down or restarting.
    static let unavailable = APIError(
        status: .serviceUnavailable,
        message: "Service Unavailable",
        shape: .exceptionMessage,
        headers: [.retryAfter: "5"]
    )

    /// A server fault: 500 with the reference's body; the cause goes to the log, not the client.
    static let internalError = APIError.exceptionMessage(.internalServerError, "Internal Server Error")

    /// Missing or wrong credentials (`PREFECT_SERVER_API_AUTH_STRING`).
    static let unauthorized = APIError.exceptionMessage(.unauthorized, "Unauthorized")

    /// Hummingbird's own errors (the router's 404, a body over the limit) in the reference's shape.
    static func translating(_ error: HTTPError) -> APIError {
        switch error.status {
        case .notFound: .noRoute
        case .contentTooLarge: .bodyTooLarge
        default: .detail(error.status, error.body ?? error.status.reasonPhrase)
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response { response }

    /// The response: the status, the body and any headers.
    var response: Response {
        var w = JSONWriter(capacity: 64 + message.utf8.count)
        w.beginObject()
        w.key(shape == .detail ? "detail" : "exception_message")
        w.string(message)
        w.endObject()
        var response = Response.json(w.bytes, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// A 422 with the reference's body: the issues and the request body.
struct RequestValidationError: HTTPResponseError {
    var issues: [ValidationIssue]
    var body: JSONValue

    var status: HTTPResponse.Status { .unprocessableContent }

    /// One issue at `loc` (`["query", "since"]`) outside the body.
    init(_ issue: ValidationIssue) {
        self.init(issues: [issue], body: .null)
    }

    init(issues: [ValidationIssue], body: JSONValue) {
        self.issues = issues
        self.body = body
    }

    /// A required parameter outside the body (`query`, `header`) that is absent.
    static func missing(_ loc: [LocationItem]) -> RequestValidationError {
        RequestValidationError(ValidationIssue(type: "missing", loc: loc, msg: "Field required", input: .null))
    }

    /// `{"exception_message", "exception_detail", "request_body"}`.
    func response(from request: Request, context: some RequestContext) throws -> Response {
        var w = JSONWriter()
        w.beginObject()
        w.key("exception_message")
        w.string("Invalid request received.")
        w.key("exception_detail")
        w.beginArray()
        for issue in issues {
            w.beginObject()
            w.key("type")
            w.string(issue.type)
            w.key("loc")
            w.beginArray()
            for item in issue.loc {
                switch item {
                case .key(let k): w.string(k)
                case .index(let i): w.int(i)
                }
            }
            w.endArray()
            w.key("msg")
            w.string(issue.msg)
            w.key("input")
            w.value(issue.input ?? .null)
            if let ctx = issue.ctx {
                w.key("ctx")
                w.value(ctx)
            }
            w.endObject()
        }
        w.endArray()
        w.key("request_body")
        w.value(body)
        w.endObject()
        return Response.json(w.bytes, status: status)
    }
}

/// The store's failures, rendered here so that WeirStore knows nothing of HTTP.
extension StoreError: HTTPResponseError {
    public var status: HTTPResponse.Status { apiError.status }

    public func response(from request: Request, context: some RequestContext) throws -> Response { apiError.response }

    /// The reference's answer: `{"detail": message}` with the kind's status, or the 503.
    var apiError: APIError {
        switch kind {
        case .notFound: .detail(.notFound, message)
        case .conflict: .detail(.conflict, message)
        case .forbidden: .detail(.forbidden, message)
        case .badRequest: .detail(.badRequest, message)
        case .unprocessable: .detail(.unprocessableContent, message)
        case .unavailable: .unavailable
        }
    }
}

/// Renders every error as the reference would answer it. Errors that know their response render
/// it; what is left is either a database the request could not reach (503, retryable) or a
/// server fault (500, logged with its cause).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            return APIError.translating(error).response
        } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context)
        } catch  where isRetryableStoreError(error) {
            context.logger.warning("database unavailable: \(String(reflecting: error))")
            return APIError.unavailable.response
        } catch {
            context.logger.error("unhandled error: \(String(reflecting: error))")
            return APIError.internalError.response
        }
    }
}
