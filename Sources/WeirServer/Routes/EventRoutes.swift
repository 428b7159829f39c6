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
            let filter = EventStreamFilter(frame?["filter"])
            let (id, events) = await hub.subscribe()
            defer { Task { await hub.unsubscribe(id) } }
            let writer = Task {
                for await event in events where filter.matches(event) {
                    var w = JSONWriter(capacity: 1024)
                    w.beginObject()
                    w.key("type"); w.string("event")
                    w.key("event"); event.write(to: &w)
                    w.endObject()
                    try await outbound.write(.text(w.output))
                }
            }
            // Runs until the client goes away.
            while try await iterator.next() != nil {}
            writer.cancel()
        }
    }
}
