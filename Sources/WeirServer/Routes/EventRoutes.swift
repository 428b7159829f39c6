import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import WeirModels
import WeirStore

/// The event websockets: `/api/events/in` (clients report events; task runs are recorded from
/// them) and `/api/events/out` (subscribers receive events matching their filter).
struct EventRoutes {
    let store: Store
    let hub: EventHub
    let settings: Settings

    /// Whether the client asked for the `prefect` subprotocol (the one with the auth handshake).
    static func wantsPrefectProtocol(_ request: Request) -> Bool {
        request.headers[values: .secWebSocketProtocol].contains { header in
            header.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "prefect" }
        }
    }

    /// The upgrade decision, as the reference's `accept_prefect_socket` makes it: with the
    /// `prefect` subprotocol, accept it (the handshake follows); without it, refuse when an auth
    /// string is configured (the request then answers as plain HTTP: 401), else accept the legacy
    /// protocol, which has no handshake.
    static func upgrade(_ request: Request, auth: APIAuth?) -> RouterShouldUpgrade {
        if wantsPrefectProtocol(request) { return .upgrade([.secWebSocketProtocol: "prefect"]) }
        return auth == nil ? .upgrade([:]) : .dontUpgrade
    }

    /// `{"type": "event", "event": {...}}`.
    static func frame(_ event: Event) -> String {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.key("type")
        w.string("event")
        w.key("event")
        event.write(to: &w)
        w.endObject()
        return w.output
    }

    /// Runs the `prefect` subprotocol's handshake on the first frame, `{"type": "auth", "token":
    /// ...}`: answers `auth_success`, or closes with the reference's 1008 and reason and returns
    /// false. Legacy clients (no subprotocol, allowed only without an auth string) skip it.
    static func authenticate(
        _ request: Request,
        _ inbound: inout WebSocketInboundMessageStream.AsyncIterator,
        outbound: WebSocketOutboundWriter,
        auth: APIAuth?
    ) async throws -> Bool {
        guard wantsPrefectProtocol(request) else { return auth == nil }
        guard case .text(let text)? = try await inbound.next() else { return false }
        let frame = try? JSONParser.parse(text)
        guard frame?["type"] == .string("auth") else {
            try await outbound.close(.policyViolation, reason: "Expected 'auth' message")
            return false
        }
        if let auth {
            guard case .string(let token)? = frame?["token"], !token.isEmpty else {
                try await outbound.close(.policyViolation, reason: "Auth required but no token provided")
                return false
            }
            guard auth.accepts(token: token) else {
                try await outbound.close(.policyViolation, reason: "Invalid token")
                return false
            }
        }
        try await outbound.write(.text(#"{"type":"auth_success"}"#))
        return true
    }

    /// An `EventPage`: `{events, total, next_page}`.
    static func page(_ events: [Event], total: Int, next: String?) -> Response {
        var w = JSONWriter(capacity: 2048 * max(1, events.count))
        w.beginObject()
        w.key("events")
        events.write(to: &w)
        w.key("total")
        w.int(total)
        w.key("next_page")
        w.string(next)
        w.endObject()
        return jsonResponse(w.bytes)
    }

    /// The next-page URL: an opaque token holding the filter as sent, the offset and the total.
    static func nextPage(_ request: Request, filter: JSONValue, limit: Int, offset: Int, total: Int) -> String? {
        guard offset + limit < total, limit > 0 else { return nil }
        let token = JSONValue.object([
            ("filter", filter), ("limit", .number(String(limit))), ("offset", .number(String(offset + limit))), ("total", .number(String(total))),
        ]).jsonText
        let encoded = Data(token.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let host = request.head.authority ?? "127.0.0.1"
        return "http://\(host)/api/events/filter/next?page-token=\(encoded)"
    }

    /// The HTTP half: filtering and counting stored events.
    func register(on api: RouterGroup<WeirContext>) {
        let store = self.store
        api.post("events/filter") { request, _ in
            var request = request
            let now = Timestamp.now()
            let query = try await RequestBody.read(&request, limits: settings.limits).query { try ReadEventsQuery.read($0, now: now) }
            let (events, total) = try await store.events.filter(query.filter, limit: query.limit, offset: 0)
            return Self.page(
                events,
                total: total,
                next: Self.nextPage(request, filter: query.filterJSON, limit: query.limit, offset: 0, total: total)
            )
        }
        api.get("events/filter/next") { request, _ in
            guard let token = request.uri.queryParameters["page-token"] else {
                throw RequestValidationError(
                    issues: [ValidationIssue(type: "missing", loc: [.key("query"), .key("page-token")], msg: "Field required", input: .null)],
                    body: .null
                )
            }
            let standard = String(token).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            guard let data = Data(base64Encoded: standard), let json = try? JSONParser.parse(Array(data)),
                case .number(let l)? = json["limit"], let limit = Int(l), case .number(let o)? = json["offset"], let offset = Int(o),
                case .number(let t)? = json["total"], let total = Int(t),
                let filter = EventFilter.read(JSONField(value: json["filter"], loc: [], context: ValidationContext()), now: .now())
            else {
                throw DetailError(status: .forbidden, detail: "Forbidden")
            }
            let (events, _) = try await store.events.filter(filter, limit: limit, offset: offset)
            return Self.page(
                events,
                total: total,
                next: Self.nextPage(request, filter: json["filter"] ?? .null, limit: limit, offset: offset, total: total)
            )
        }
        api.post("events/count-by/:countable") { request, context in
            let text = try context.parameters.string("countable")
            guard let countable = EventCountable(rawValue: text) else {
                throw RequestValidationError(
                    issues: [
                        ValidationIssue(
                            type: "enum",
                            loc: [.key("path"), .key("countable")],
                            msg: "Input should be 'day', 'time', 'event' or 'resource'",
                            input: .string(text),
                            ctx: .object([("expected", .string("'day', 'time', 'event' or 'resource'"))])
                        )
                    ],
                    body: .null
                )
            }
            var request = request
            let now = Timestamp.now()
            let query: CountEventsQuery
            do {
                query = try await RequestBody.read(&request, limits: settings.limits).query { try CountEventsQuery.read($0, now: now) }
            } catch let e as CountEventsQuery.TooManyBuckets {
                throw DetailError(status: .unprocessableContent, detail: e.detail)
            }
            let events = try await store.events.matching(query.filter)
            return jsonResponse(EventCount.count(events, by: countable, query: query, now: now))
        }
    }

    /// The websocket half.
    func register(on router: Router<BasicWebSocketRequestContext>) {
        let store = self.store
        let hub = self.hub
        let auth = settings.authString.map(APIAuth.init(authString:))
        let eventLimit = settings.limits.maxWebSocketMessageBytes
        let maxDepth = settings.limits.maxJSONDepth
        router.ws(
            "/api/events/in",
            shouldUpgrade: { request, _ in Self.upgrade(request, auth: auth) },
            onUpgrade: { inbound, outbound, context in
                var messages = inbound.messages(maxSize: eventLimit).makeAsyncIterator()
                guard try await Self.authenticate(context.request, &messages, outbound: outbound, auth: auth) else { return }
                while let message = try await messages.next() {
                    guard case .text(let text) = message else { continue }
                    let ctx = ValidationContext()
                    guard let json = try? JSONParser.parse(text, maxDepth: maxDepth),
                        let event = Event.read(JSONField(value: json, loc: [], context: ctx), received: .now())
                    else {
                        context.logger.warning("dropping an invalid event: \(ctx.issues.map(\.msg))")
                        continue
                    }
                    do {
                        try await store.events.ingest([event])
                        await hub.publish([event])
                    } catch {
                        context.logger.error("could not record event \(event.id): \(error)")
                    }
                }
            }
        )
        router.ws(
            "/api/events/out",
            shouldUpgrade: { request, _ in Self.upgrade(request, auth: auth) },
            onUpgrade: { inbound, outbound, context in
                var iterator = inbound.messages(maxSize: 1024 * 1024).makeAsyncIterator()
                guard try await Self.authenticate(context.request, &iterator, outbound: outbound, auth: auth) else { return }
                guard case .text(let filterText)? = try await iterator.next() else { return }
                let frame = try? JSONParser.parse(filterText)
                guard frame?["type"] == .string("filter") else {
                    try await outbound.close(.protocolError, reason: "Expected 'filter' message")
                    return
                }
                let now = Timestamp.now()
                guard var filter = EventFilter.read(JSONField(value: frame?["filter"], loc: [], context: ValidationContext()), now: now) else {
                    try await outbound.close(.protocolError, reason: "Invalid filter")
                    return
                }
                filter.since = max(filter.since, now.adding(seconds: -15 * 60))
                filter.ascending = true
                let (id, events) = await hub.subscribe()
                defer { Task { await hub.unsubscribe(id) } }
                var backfilled = Set<UUID>()
                if frame?["backfill"] != .bool(false) {
                    for event in try await store.events.matching(filter) {
                        backfilled.insert(event.id)
                        try await outbound.write(.text(Self.frame(event)))
                    }
                }
                let sent = backfilled
                let writer = Task {
                    for await event in events where filter.includes(event) && !sent.contains(event.id) {
                        try await outbound.write(.text(Self.frame(event)))
                    }
                }
                // Runs until the client goes away.
                while try await iterator.next() != nil {}
                writer.cancel()
            }
        )
    }
}
