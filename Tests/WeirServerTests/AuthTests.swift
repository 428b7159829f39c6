import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WeirModels

@testable import WeirServer

/// `PREFECT_SERVER_API_AUTH_STRING`: every request needs the credentials except exactly `GET
/// /api/health` and `GET /api/ready`, as the reference decides.
@Suite struct AuthTests {
    static let secret = "admin:s3cret!"  // its base64 ends in "==" padding

    static func basic(_ credentials: String) -> String { "Basic " + Data(credentials.utf8).base64EncodedString() }

    func send(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ uri: String,
        authorization: String? = nil
    ) async throws -> TestResponse {
        var headers = HTTPFields()
        if let authorization { headers[.authorization] = authorization }
        return try await client.execute(uri: uri, method: method, headers: headers)
    }

    @Test func probesAnswerWithoutCredentialsOnlyWhenSpelledExactly() async throws {
        try await withApp(testSettings { $0.authString = Self.secret }) { client in
            for path in ["/api/health", "/api/ready", "/api/health?verbose=1"] {
                let r = try await send(client, .get, path)
                #expect(r.status == .ok, "\(path)")
            }
            #expect(String(buffer: try await send(client, .get, "/api/ready").body) == #"{"message":"OK"}"#)
            // Crafted paths that end in, contain, or decode to a probe path, and other methods.
            let refused: [(HTTPRequest.Method, String)] = [
                (.get, "/api/flows/name/health"), (.get, "/api/work_pools/health"), (.get, "/api/deployments/name/x/health"),
                (.get, "/api/x/health"), (.get, "/api/health/"), (.get, "//api/health"), (.get, "/api//health"),
                (.get, "/api/%68ealth"), (.get, "/api%2Fhealth"), (.get, "/api/HEALTH"), (.get, "/api/./health"),
                (.get, "/api/x/../health"), (.get, "/health"), (.get, "/api/ready/"), (.get, "/api/readyz"),
                (.head, "/api/health"), (.post, "/api/health"), (.head, "/api/ready"), (.post, "/api/ready"),
                (.get, "/api/hello"), (.post, "/api/flow_runs/filter"),
            ]
            for (method, path) in refused {
                let r = try await send(client, method, path)
                #expect(r.status == .unauthorized, "\(method) \(path) answered \(r.status)")
                if method != .head { #expect(String(buffer: r.body) == #"{"exception_message":"Unauthorized"}"#) }
            }
        }
    }

    @Test func credentialsAreCheckedAsTheReferenceParsesThem() async throws {
        try await withApp(testSettings { $0.authString = Self.secret }) { client in
            let encoded = Data(Self.secret.utf8).base64EncodedString()
            for good in [Self.basic(Self.secret), "Basic  \(encoded)", " Basic \(encoded) ", "Basic\t\(encoded)"] {
                let r = try await send(client, .get, "/api/hello", authorization: good)
                #expect(r.status == .ok, "\(good)")
            }
            let bad = [
                Self.basic("admin:s3cret"), Self.basic("admin:s3cret!!"), Self.basic(""), Self.basic("ADMIN:S3CRET!"),
                "basic \(encoded)", "Bearer \(encoded)", "Basic", "Basic \(encoded) extra", "Basic \(encoded.dropLast(2))",
                "Basic %%%", encoded, "",
            ]
            for header in bad {
                let r = try await send(client, .get, "/api/hello", authorization: header)
                #expect(r.status == .unauthorized, "\(header)")
            }
            let named = try await send(client, .get, "/api/flows/name/health", authorization: Self.basic(Self.secret))
            #expect(named.status == .notFound)
        }
    }

    @Test func withoutAnAuthStringNothingIsAsked() async throws {
        try await withApp { client in
            let hello = try await send(client, .get, "/api/hello")
            let ready = try await send(client, .get, "/api/ready")
            #expect(hello.status == .ok && ready.status == .ok)
        }
    }

    @Test func constantTimeComparison() {
        #expect(constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!constantTimeEquals(Array("abd".utf8), Array("abc".utf8)))
        #expect(!constantTimeEquals(Array("ab".utf8), Array("abc".utf8)))
        #expect(!constantTimeEquals(Array("abcd".utf8), Array("abc".utf8)))
        #expect(!constantTimeEquals(Array("a".utf8), []))
        #expect(constantTimeEquals([], []))
    }
}
