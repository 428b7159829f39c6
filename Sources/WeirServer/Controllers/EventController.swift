import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import WeirModels
import WeirStore

/// The event websockets: `/api/events/in` (clients report events; task runs are recorded from
/// them) and `/api/events/out` (subscribers receive events matching their filter).
struct EventController {
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
        // Deliberate try?: a frame that is not JSON is answered below as a missing auth message.
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

    /// A page token's contents, or nil when it is not one this server wrote.
    static func readPageToken(_ token: String) -> (filter: JSONValue, limit: Int, offset: Int, total: Int)? {
        let standard = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        // A token that does not decode is answered as forged (403), whatever the reason.
        guard let data = Data(base64Encoded: standard), let json = try? JSONParser.parse(Array(data)),
            case .number(let l)? = json["limit"], let limit = Int(l), case .number(let o)? = json["offset"], let offset = Int(o),
            case .number(let t)? = json["total"], let total = Int(t)
        else { return nil }
        return (json["filter"] ?? .null, limit, offset, total)
    }

    /// The HTTP half: filtering and counting stored events.
    func addRoutes(to api: RouterGroup<WeirContext>) {
        api.post("events/filter", use: filter)
        api.get("events/filter/next", use: nextPage)
        api.post("events/count-by/:countable", use: countBy)
    }

    /// `POST /events/filter`: the first page of matching events.
    @Sendable func filter(_ request: Request, context: WeirContext) async throws -> Response {
        let now = Timestamp.now()
        let query = try await request.body(settings.limits).query { try ReadEventsQuery.read($0, now: now) }
        let (events, total) = try await store.events.filter(query.filter, limit: query.limit, offset: 0)
        let next = Self.nextPage(request, filter: query.filterJSON, limit: query.limit, offset: 0, total: total)
        return .json(EventPage(events: events, total: total, nextPage: next))
    }

    /// `GET /events/filter/next?page-token=`: the page a token points at.
    @Sendable func nextPage(_ request: Request, context: WeirContext) async throws -> Response {
        guard let text = request.query("page-token") else { throw RequestValidationError.missing([.key("query"), .key("page-token")]) }
        guard let token = Self.readPageToken(text),
            let filter = EventFilter.read(JSONField(value: token.filter, loc: [], context: ValidationContext()), now: .now())
        else { throw APIError.detail(.forbidden, "Forbidden") }
        let (events, _) = try await store.events.filter(filter, limit: token.limit, offset: token.offset)
        let next = Self.nextPage(request, filter: token.filter, limit: token.limit, offset: token.offset, total: token.total)
        return .json(EventPage(events: events, total: token.total, nextPage: next))
    }

    /// `POST /events/count-by/{countable}`: events counted by day, time, event name or resource.
    @Sendable func countBy(_ request: Request, context: WeirContext) async throws -> Response {
        let text = try context.parameters.string("countable")
        guard let countable = EventCountable(rawValue: text) else {
            throw RequestValidationError(
                ValidationIssue(
                    type: "enum",
                    loc: [.key("path"), .key("countable")],
                    msg: "Input should be 'day', 'time', 'event' or 'resource'",
                    input: .string(text),
                    ctx: .object([("expected", .string("'day', 'time', 'event' or 'resource'"))])
                )
            )
        }
        let now = Timestamp.now()
        let query = try await request.body(settings.limits).query { try CountEventsQuery.read($0, now: now) }
        let events = try await store.events.matching(query.filter)
        return .json(EventCount.count(events, by: countable, query: query, now: now))
    }

    /// The websocket half.
    func addRoutes(to router: Router<BasicWebSocketRequestContext>) {
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
                    // Deliberate try?: an event that is not JSON is dropped and logged, as the reference drops it.
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
                // Deliberate try?: a frame that is not JSON is answered below as a missing filter.
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
