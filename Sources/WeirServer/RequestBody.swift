import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WeirModels

/// Reading requests: the JSON body, path parameters, query parameters and headers, each failing
/// with the reference's answer.

extension Response {
    /// A JSON response from bytes.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A JSON response from a value that writes itself.
    static func json(_ value: some JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
        json(value.jsonBytes(), status: status)
    }

    /// 204 with no body.
    static var noContent: Response { Response(status: .noContent) }
}

/// The body of a request: absent (nil), JSON, or a 422 `json_invalid` in the reference's shape.
struct RequestBody {
    /// The parsed JSON, nil for an empty body.
    var json: JSONValue?
    /// The raw text, echoed in validation errors.
    var text: String

    /// Reads and parses a request's body, up to the configured size and depth. As the reference
    /// (`json.loads` on the bytes): a UTF-8 byte order mark is skipped; bytes that are not UTF-8,
    /// nesting past the limit and integers too long for Python answer 400 "There was an error
    /// parsing the body"; a syntax error answers 422 `json_invalid`; a body over the size limit 413.
    init(_ request: Request, limits: RequestLimits) async throws {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limits.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge
        }
        var bytes = Array(buffer.readableBytesView)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw APIError.unparsableBody }
        self.text = text
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            self.json = nil
            return
        }
        do {
            self.json = try JSONParser.parse(bytes, maxDepth: limits.maxJSONDepth)
        } catch  where error.kind == .limit {
            throw APIError.unparsableBody
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

    /// Reads a single-model body with `read` (`loc` starting at `body`), throwing the collected
    /// issues; an absent or null body is the reference's `missing` issue.
    func model<T>(_ read: (JSONField) -> T?) throws -> T {
        guard let json, json != .null else {
            throw RequestValidationError(
                issues: [ValidationIssue(type: "missing", loc: [.key("body")], msg: "Field required", input: .null)],
                body: .null
            )
        }
        let context = ValidationContext()
        if let value = read(JSONField(value: json, loc: [.key("body")], context: context)), context.issues.isEmpty { return value }
        throw RequestValidationError(issues: context.issues, body: json)
    }

    /// Runs a multi-parameter body reader, attaching the body to its validation errors; a query
    /// the reference refuses after validation answers 422 `{"detail": ...}`.
    func query<T>(_ read: (JSONValue?) throws -> T) throws -> T {
        do {
            return try read(json)
        } catch let failure as ValidationFailure {
            throw RequestValidationError(issues: failure.issues, body: json ?? .null)
        } catch let refusal as InvalidQuery {
            throw APIError.detail(.unprocessableContent, refusal.detail)
        }
    }

    /// Validates a body of named fields with `check` (which reports on the reader), ignoring the
    /// values: for calls whose body only has to be well formed.
    func validate(fields: [String], _ check: (ObjectReader) -> Void = { _ in }) throws {
        _ = try query { json -> Bool in
            let context = ValidationContext()
            check(BodyReader.topLevel(json, context: context, fields: fields))
            try context.check()
            return true
        }
    }
}

extension Request {
    /// The JSON body, read once under the configured limits.
    func body(_ limits: RequestLimits) async throws -> RequestBody {
        try await RequestBody(self, limits: limits)
    }

    /// A query parameter's text, if present.
    func query(_ name: String) -> String? {
        uri.queryParameters[Substring(name)].map(String.init)
    }

    /// A required UUID query parameter, with the reference's 422s when missing or malformed.
    func queryUUID(_ name: String) throws -> UUID {
        let loc: [LocationItem] = [.key("query"), .key(name)]
        guard let text = query(name) else { throw RequestValidationError.missing(loc) }
        let context = ValidationContext()
        var field = JSONField(value: .string(text), loc: loc, context: context)
        field.nullable = false
        guard let id = field.uuid() else { throw RequestValidationError(issues: context.issues, body: .null) }
        return id
    }

    /// An optional datetime query parameter (`?since=`), with the reference's 422 when malformed.
    func queryTimestamp(_ name: String) throws -> Timestamp? {
        guard let text = query(name) else { return nil }
        guard let timestamp = Timestamp(iso8601: text) else {
            let reason = text.count < 10 ? "input is too short" : "invalid character in year"
            throw RequestValidationError(
                ValidationIssue(
                    type: "datetime_from_date_parsing",
                    loc: [.key("query"), .key(name)],
                    msg: "Input should be a valid datetime or date, \(reason)",
                    input: .string(text),
                    ctx: .object([("error", .string(reason))])
                )
            )
        }
        return timestamp
    }

    /// `created_by` from the `Prefect-Automation-Id` and base64 `Prefect-Automation-Name` headers.
    func automationCreator() throws -> JSONValue? {
        guard let idText = headers[HTTPField.Name("Prefect-Automation-Id")!],
            let nameText = headers[HTTPField.Name("Prefect-Automation-Name")!]
        else { return nil }
        guard let id = JSONField.parseUUID(idText) else {
            throw RequestValidationError(
                ValidationIssue(
                    type: "uuid_parsing",
                    loc: [.key("header"), .key("prefect-automation-id")],
                    msg: "Input should be a valid UUID",
                    input: .string(idText)
                )
            )
        }
        guard let data = Data(base64Encoded: nameText), let name = String(data: data, encoding: .utf8), !name.isEmpty else { return nil }
        return .object([("id", .string(id.uuidString.lowercased())), ("type", .string("AUTOMATION")), ("display_value", .string(name))])
    }
}

extension Parameters {
    /// A UUID path parameter; a malformed one is a 404, as the reference's `{id:uuid}` route converter.
    func uuid(_ name: String) throws -> UUID {
        guard let s = get(name), let id = JSONField.parseUUID(s) else { throw APIError.noRoute }
        return id
    }

    /// A string path parameter (percent-decoded).
    func string(_ name: String) throws -> String {
        guard let s = get(name) else { throw APIError.noRoute }
        return s.removingPercentEncoding ?? s
    }
}
