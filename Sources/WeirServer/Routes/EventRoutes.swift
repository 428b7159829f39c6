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

    /// Accepts the `prefect` subprotocol when the client asks for it.
    static func upgradeHeaders(_ request: Request) -> HTTPFields {
        var headers = HTTPFields()
        if let requested = request.headers[.secWebSocketProtocol], requested.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "prefect" }) {
            headers[.secWebSocketProtocol] = "prefect"
        }
        return headers
    }

    /// `{"type": "event", "event": {...}}`.
    static func frame(_ event: Event) -> String {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.key("type"); w.string("event")
        w.key("event"); event.write(to: &w)
        w.endObject()
        return w.output
    }

    /// Handles the first frame: `{"type": "auth", "token": ...}`; answers `auth_success`, or
    /// `auth_failure` and false when a configured auth string does not match.
    static func authenticate(_ text: String, outbound: WebSocketOutboundWriter, authString: String?) async throws -> Bool {
        let frame = try? JSONParser.parse(text)
        var token: String?
        if case .string(let t)? = frame?["token"] { token = t }
        guard frame?["type"] == .string("auth"), authString == nil || token == authString else {
            try await outbound.write(.text(#"{"type":"auth_failure","reason":"Invalid token"}"#))
            try await outbound.close(.policyViolation, reason: "Invalid token")
            return false
        }
        try await outbound.write(.text(#"{"type":"auth_success"}"#))
        return true
    }

    /// An `EventPage`: `{events, total, next_page}`.
    static func page(_ events: [Event], total: Int, next: String?) -> Response {
        var w = JSONWriter(capacity: 2048 * max(1, events.count))
        w.beginObject()
        w.key("events"); events.write(to: &w)
        w.key("total"); w.int(total)
        w.key("next_page"); w.string(next)
        w.endObject()
        return jsonResponse(w.bytes)
    }

    /// The next-page URL: an opaque token holding the filter as sent, the offset and the total.
    static func nextPage(_ request: Request, filter: JSONValue, limit: Int, offset: Int, total: Int) -> String? {
        guard offset + limit < total, limit > 0 else { return nil }
        let token = JSONValue.object([("filter", filter), ("limit", .number(String(limit))), ("offset", .number(String(offset + limit))), ("total", .number(String(total)))]).jsonText
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
            let query = try await RequestBody.read(&request).query { try ReadEventsQuery.read($0, now: now) }
            let (events, total) = try await store.events.filter(query.filter, limit: query.limit, offset: 0)
            return Self.page(events, total: total, next: Self.nextPage(request, filter: query.filterJSON, limit: query.limit, offset: 0, total: total))
        }
        api.get("events/filter/next") { request, _ in
            guard let token = request.uri.queryParameters["page-token"] else {
                throw RequestValidationError(issues: [ValidationIssue(type: "missing", loc: [.key("query"), .key("page-token")], msg: "Field required", input: .null)], body: .null)
            }
            let standard = String(token).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            guard let data = Data(base64Encoded: standard), let json = try? JSONParser.parse(Array(data)),
                  case .number(let l)? = json["limit"], let limit = Int(l), case .number(let o)? = json["offset"], let offset = Int(o),
                  case .number(let t)? = json["total"], let total = Int(t),
                  let filter = EventFilter.read(JSONField(value: json["filter"], loc: [], context: ValidationContext()), now: .now()) else {
                throw DetailError(status: .forbidden, detail: "Forbidden")
            }
            let (events, _) = try await store.events.filter(filter, limit: limit, offset: offset)
            return Self.page(events, total: total, next: Self.nextPage(request, filter: json["filter"] ?? .null, limit: limit, offset: offset, total: total))
        }
        api.post("events/count-by/:countable") { request, context in
            let text = try context.parameters.string("countable")
            guard let countable = EventCountable(rawValue: text) else {
                throw RequestValidationError(issues: [ValidationIssue(type: "enum", loc: [.key("path"), .key("countable")], msg: "Input should be 'day', 'time', 'event' or 'resource'", input: .string(text), ctx: .object([("expected", .string("'day', 'time', 'event' or 'resource'"))]))], body: .null)
            }
            var request = request
            let now = Timestamp.now()
            let query: CountEventsQuery
            do {
                query = try await RequestBody.read(&request).query { try CountEventsQuery.read($0, now: now) }
            } catch let e as CountEventsQuery.TooManyBuckets {
                throw DetailError(status: .unprocessableContent, detail: e.detail)
            }
            let events = try await store.events.matching(query.filter)
            return jsonResponse(EventCount.count(events, by: countable, query: query, now: now))
        }
    }

    /// The websocket half.
    func register(on router: Router<BasicWebSocketRequestContext>) {
        let store = self.store, hub = self.hub, authString = settings.authString
        router.ws("/api/events/in", shouldUpgrade: { request, _ in .upgrade(Self.upgradeHeaders(request)) }) { inbound, outbound, context in
            var authenticated = false
            for try await message in inbound.messages(maxSize: 16 * 1024 * 1024) {
                guard case .text(let text) = message else { continue }
                if !authenticated {
                    guard try await Self.authenticate(text, outbound: outbound, authString: authString) else { return }
                    authenticated = true
                    continue
                }
                let ctx = ValidationContext()
                guard let json = try? JSONParser.parse(text),
                      let event = Event.read(JSONField(value: json, loc: [], context: ctx), received: .now()) else {
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
        router.ws("/api/events/out", shouldUpgrade: { request, _ in .upgrade(Self.upgradeHeaders(request)) }) { inbound, outbound, context in
            var iterator = inbound.messages(maxSize: 1024 * 1024).makeAsyncIterator()
            guard case .text(let auth)? = try await iterator.next(),
                  try await Self.authenticate(auth, outbound: outbound, authString: authString) else { return }
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
    }
}
