import Foundation
import WeirModels

/// Fans out events to `/events/out` subscribers in this process.
actor EventHub {
    private var subscribers: [UUID: AsyncStream<Event>.Continuation] = [:]

    /// A stream of every event published from now on, ended when the caller stops listening.
    func subscribe() -> (UUID, AsyncStream<Event>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        return (id, stream)
    }

    /// Stops delivering to a subscriber.
    func unsubscribe(_ id: UUID) {
        subscribers.removeValue(forKey: id)?.finish()
    }

    /// Delivers events to every subscriber.
    func publish(_ events: [Event]) {
        for continuation in subscribers.values {
            for event in events { continuation.yield(event) }
        }
    }
}

/// The `/events/out` subscription filter: which events a subscriber wants.
struct EventStreamFilter: Sendable {
    var names: [String]?
    var prefixes: [String]?
    var excludeNames: [String]?
    var excludePrefixes: [String]?
    var resourceIds: [String]?
    var resourceIdPrefixes: [String]?

    /// Reads the `filter` of a `{"type": "filter", "filter": {...}}` frame; unknown parts match all.
    init(_ filter: JSONValue?) {
        func strings(_ v: JSONValue?) -> [String]? {
            guard case .array(let items)? = v else { return nil }
            return items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        }
        names = strings(filter?["event"]?["name"])
        prefixes = strings(filter?["event"]?["prefix"])
        excludeNames = strings(filter?["event"]?["exclude_name"])
        excludePrefixes = strings(filter?["event"]?["exclude_prefix"])
        resourceIds = strings(filter?["resource"]?["id"])
        resourceIdPrefixes = strings(filter?["resource"]?["id_prefix"])
    }

    /// Whether an event passes the filter.
    func matches(_ e: Event) -> Bool {
        if let names, !names.contains(e.event) { return false }
        if let prefixes, !prefixes.contains(where: { e.event.hasPrefix($0) }) { return false }
        if let excludeNames, excludeNames.contains(e.event) { return false }
        if let excludePrefixes, excludePrefixes.contains(where: { e.event.hasPrefix($0) }) { return false }
        if let resourceIds, !resourceIds.contains(e.resourceId) { return false }
        if let resourceIdPrefixes, !resourceIdPrefixes.contains(where: { e.resourceId.hasPrefix($0) }) { return false }
        return true
    }
}
