import Foundation
import HTTPTypes
import Hummingbird
import WeirModels

/// `PREFECT_SERVER_API_AUTH_STRING`: the one secret every client must present, as the reference
/// checks it: HTTP basic credentials on every request except the two probes, and the token of the
/// first websocket frame.
struct APIAuth: Sendable {
    /// The exact paths (method GET only) that answer without credentials, as the reference exempts
    /// `/health` and `/ready` below its API base path. Matched on the raw path, never by prefix or
    /// suffix and never after percent-decoding: a path reaches these routes unauthenticated only
    /// spelled exactly so (`/api/%68ealth` needs credentials here; see docs/compat.md).
    static let exemptPaths: Set<String> = ["/api/health", "/api/ready"]

    /// The secret's UTF-8 bytes.
    private let secret: [UInt8]

    /// An auth check for `authString`.
    init(authString: String) { self.secret = Array(authString.utf8) }

    /// Whether a request may skip the check: `GET` on an exempt path exactly.
    static func isExempt(_ request: Request) -> Bool {
        request.method == .get && exemptPaths.contains(request.uri.path)
    }

    /// Whether an `Authorization` header carries the secret: exactly two whitespace-separated
    /// words, `Basic` and the base64 of the secret, compared in constant time (the reference's
    /// `header.split()`, `b64decode`, `hmac.compare_digest`).
    func accepts(authorization header: String?) -> Bool {
        guard let header else { return false }
        let words = header.split(whereSeparator: \.isWhitespace)
        guard words.count == 2, words[0] == "Basic",
            let decoded = Data(base64Encoded: String(words[1]), options: .ignoreUnknownCharacters),
            String(validating: decoded, as: UTF8.self) != nil
        else { return false }
        return constantTimeEquals(Array(decoded), secret)
    }

    /// Whether a websocket auth frame's token is the secret (constant time).
    func accepts(token: String) -> Bool {
        constantTimeEquals(Array(token.utf8), secret)
    }
}

/// Compares two byte strings in time that depends only on their lengths, never on where they
/// differ, as `hmac.compare_digest` does. Written here because swift-crypto keeps its own
/// constant-time comparison internal.
func constantTimeEquals(_ received: [UInt8], _ expected: [UInt8]) -> Bool {
    var difference = UInt(bitPattern: received.count ^ expected.count)
    for i in 0..<received.count {
        let other = expected.isEmpty ? 0 : expected[i % expected.count]
        difference |= UInt(received[i] ^ other)
    }
    return difference == 0
}

/// Requires HTTP basic auth with the configured secret on every request but `GET /api/health`
/// and `GET /api/ready`, answering the reference's 401 `{"exception_message": "Unauthorized"}`.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let auth: APIAuth

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if APIAuth.isExempt(request) || auth.accepts(authorization: request.headers[.authorization]) {
            return try await next(request, context)
        }
        throw APIError.unauthorized
    }
}
