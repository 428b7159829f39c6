import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import WeirModels
import WeirStore

/// A JSON response from bytes.
func jsonResponse(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// A JSON response from a writable value.
func jsonResponse(_ value: some JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
    jsonResponse(value.jsonBytes(), status: status)
}

/// `{"deleted": [ids]}`, the bulk delete answer.
func deletedResponse(_ ids: [UUID]) -> Response {
    var w = JSONWriter(capacity: 64 + 40 * ids.count)
    w.beginObject()
    w.key("deleted")
    w.beginArray()
    for id in ids { w.uuid(id) }
    w.endArray()
    w.endObject()
    return jsonResponse(w.bytes)
}

/// A `/paginate` answer: `{results, count, limit, pages, page}`.
func pageResponse(count: Int, page: PageRequest, results: (inout JSONWriter) -> Void) -> Response {
    var w = JSONWriter(capacity: 4096)
    w.beginObject()
    w.key("results")
    results(&w)
    w.key("count")
    w.int(count)
    w.key("limit")
    w.int(page.limit)
    w.key("pages")
    w.int(page.pages(count: count))
    w.key("page")
    w.int(page.page)
    w.endObject()
    return jsonResponse(w.bytes)
}

/// Runs a history query reader, answering the reference's 422 for a too-small interval.
func historyQuery(_ body: RequestBody, forTaskRuns: Bool) throws -> HistoryQuery {
    do {
        return try body.query { try HistoryQuery.read($0, forTaskRuns: forTaskRuns) }
    } catch is HistoryQuery.IntervalTooSmall {
        throw DetailError(status: .unprocessableContent, detail: "History interval must not be less than 1 second.")
    }
}

/// `{"detail": message}`, the reference's `HTTPException` body.
func detailResponse(_ message: String, status: HTTPResponse.Status) -> Response {
    var w = JSONWriter(capacity: 64)
    w.beginObject()
    w.key("detail")
    w.string(message)
    w.endObject()
    return jsonResponse(w.bytes, status: status)
}

/// The reference's 503 for errors a client may retry, with `Retry-After` (which the Prefect client
/// honours) so clients back off while the database is down or restarting.
func unavailableResponse() -> Response {
    var w = JSONWriter(capacity: 64)
    w.beginObject()
    w.key("exception_message")
    w.string("Service Unavailable")
    w.endObject()
    var r = jsonResponse(w.bytes, status: .serviceUnavailable)
    r.headers[.retryAfter] = "5"
    return r
}

/// An error answered with `{"detail": ...}` and a status.
struct DetailError: Error {
    var status: HTTPResponse.Status
    var detail: String

    /// The reference's answer to a body it cannot read as JSON at all (not UTF-8, too deep).
    static let unparsableBody = DetailError(status: .badRequest, detail: "There was an error parsing the body")
}

/// An error answered with `{"exception_message": ...}` and a status (the reference's handler for
/// ObjectNotFoundError and unexpected errors).
struct ExceptionMessageError: Error {
    var status: HTTPResponse.Status
    var message: String
}

/// The body of a request: absent (nil), JSON, or a 422 `json_invalid` in the reference's shape.
struct RequestBody {
    /// The parsed JSON, nil for an empty body.
    var json: JSONValue?
    /// The raw text, echoed in validation errors.
    var text: String

    /// Reads and parses the request body, up to the configured size and depth. As the reference
    /// (`json.loads` on the bytes): a UTF-8 byte order mark is skipped; bytes that are not UTF-8,
    /// nesting past the limit and integers too long for Python answer 400 "There was an error
    /// parsing the body"; a syntax error answers 422 `json_invalid`.
    static func read(_ request: inout Request, limits: RequestLimits) async throws -> RequestBody {
        let buffer = try await request.collectBody(upTo: limits.maxBodyBytes)
        var bytes = Array(buffer.readableBytesView)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw DetailError.unparsableBody }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return RequestBody(json: nil, text: text) }
        do {
            return RequestBody(json: try JSONParser.parse(bytes, maxDepth: limits.maxJSONDepth), text: text)
        } catch  where error.kind == .limit {
            throw DetailError.unparsableBody
        } catch {
            let issue = ValidationIssue(
                type: "json_invalid",
                loc: [.key("body"), .index(error.position)],
                msg: "JSON decode error",
                input: .emptyObject,
                ctx: .object([("error", .string(error.message))])
            )
            throw RequestValidationError(issues: [issue], body: .string(text))
        }
    }

    /// The body as a single model's field (`loc` starting at `body`).
    func field(_ context: ValidationContext) -> JSONField {
        JSONField(value: json, loc: [.key("body")], context: context)
    }

    /// Reads a single-model body with `read`, throwing the collected issues.
    func model<T>(_ read: (JSONField) -> T?) throws -> T {
        let context = ValidationContext()
        let f = field(context)
        if json == nil || json == .null {
            throw RequestValidationError(
                issues: [ValidationIssue(type: "missing", loc: [.key("body")], msg: "Field required", input: .null)],
                body: .null
            )
        }
        let value = read(f)
        if let value, context.issues.isEmpty { return value }
        throw RequestValidationError(issues: context.issues, body: json ?? .null)
    }

    /// Runs a multi-parameter body reader, attaching the body to its validation errors.
    func query<T>(_ read: (JSONValue?) throws -> T) throws -> T {
        do {
            return try read(json)
        } catch let failure as ValidationFailure {
            throw RequestValidationError(issues: failure.issues, body: json ?? .null)
        } catch let limit as InvalidLimit {
            throw DetailError(status: .unprocessableContent, detail: limit.detail)
        }
    }
}

/// A 422 with the reference's body: the issues and the request body.
struct RequestValidationError: Error {
    var issues: [ValidationIssue]
    var body: JSONValue

    /// `{"exception_message", "exception_detail", "request_body"}`.
    var response: Response {
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
        return jsonResponse(w.bytes, status: .unprocessableContent)
    }
}

extension Parameters {
    /// A UUID path parameter; a malformed one is a 404, as the reference's `{id:uuid}` route converter.
    func uuid(_ name: String) throws -> UUID {
        guard let s = get(name), let id = JSONField.parseUUID(s) else { throw DetailError(status: .notFound, detail: "Not Found") }
        return id
    }

    /// A string path parameter (percent-decoded).
    func string(_ name: String) throws -> String {
        guard let s = get(name) else { throw DetailError(status: .notFound, detail: "Not Found") }
        return s.removingPercentEncoding ?? s
    }
}

/// A required UUID query parameter, with the reference's 422s when missing or malformed.
func queryUUID(_ request: Request, _ name: String) throws -> UUID {
    let ctx = ValidationContext()
    guard let text = request.uri.queryParameters[Substring(name)] else {
        throw RequestValidationError(
            issues: [ValidationIssue(type: "missing", loc: [.key("query"), .key(name)], msg: "Field required", input: .null)],
            body: .null
        )
    }
    var field = JSONField(value: .string(String(text)), loc: [.key("query"), .key(name)], context: ctx)
    field.nullable = false
    guard let id = field.uuid() else { throw RequestValidationError(issues: ctx.issues, body: .null) }
    return id
}

/// `created_by` from the `Prefect-Automation-Id` and base64 `Prefect-Automation-Name` headers.
func automationCreator(_ request: Request) throws -> JSONValue? {
    guard let idText = request.headers[HTTPField.Name("Prefect-Automation-Id")!],
        let nameText = request.headers[HTTPField.Name("Prefect-Automation-Name")!]
    else { return nil }
    guard let id = JSONField.parseUUID(idText) else {
        throw RequestValidationError(
            issues: [
                ValidationIssue(
                    type: "uuid_parsing",
                    loc: [.key("header"), .key("prefect-automation-id")],
                    msg: "Input should be a valid UUID",
                    input: .string(idText)
                )
            ],
            body: .null
        )
    }
    guard let data = Data(base64Encoded: nameText), let name = String(data: data, encoding: .utf8), !name.isEmpty else { return nil }
    return .object([("id", .string(id.uuidString.lowercased())), ("type", .string("AUTOMATION")), ("display_value", .string(name))])
}

/// Maps the errors routes and the store throw to the reference's responses; nothing becomes a 500
/// except a genuine server fault.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as RequestValidationError {
            return e.response
        } catch let e as DetailError {
            return detailResponse(e.detail, status: e.status)
        } catch let e as ExceptionMessageError {
            var w = JSONWriter(capacity: 64)
            w.beginObject()
            w.key("exception_message")
            w.string(e.message)
            w.endObject()
            return jsonResponse(w.bytes, status: e.status)
        } catch let e as StoreError {
            switch e.kind {
            case .notFound: return detailResponse(e.message, status: .notFound)
            case .conflict: return detailResponse(e.message, status: .conflict)
            case .forbidden: return detailResponse(e.message, status: .forbidden)
            case .badRequest: return detailResponse(e.message, status: .badRequest)
            case .unavailable: return unavailableResponse()
            }
        } catch is NIOTooManyBytesError {
            return detailResponse("Request Entity Too Large", status: .contentTooLarge)
        } catch let e as HTTPError {
            switch e.status {
            case .notFound: return detailResponse("Not Found", status: .notFound)
            case .methodNotAllowed: return detailResponse("Method Not Allowed", status: .methodNotAllowed)
            case .contentTooLarge: return detailResponse("Request Entity Too Large", status: .contentTooLarge)
            default: return detailResponse(e.body ?? e.status.reasonPhrase, status: e.status)
            }
        } catch {
            if isRetryableStoreError(error) {
                context.logger.warning("database unavailable: \(String(reflecting: error))")
                return unavailableResponse()
            }
            context.logger.error("unhandled error: \(String(reflecting: error))")
            var w = JSONWriter(capacity: 64)
            w.beginObject()
            w.key("exception_message")
            w.string("Internal Server Error")
            w.endObject()
            return jsonResponse(w.bytes, status: .internalServerError)
        }
    }
}

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
                return detailResponse(
                    "Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received \(version)",
                    status: .badRequest
                )
            }
            if (major, minor, patch) < Self.minimum {
                return detailResponse(
                    "The request specified API version \(version) but this server requires version 0.8.0 or higher.",
                    status: .badRequest
                )
            }
        }
        return try await next(request, context)
    }
}
