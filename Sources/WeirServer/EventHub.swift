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
