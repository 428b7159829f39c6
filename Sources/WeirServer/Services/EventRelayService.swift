import Foundation
import Logging
import ServiceLifecycle
import WeirStore

/// Streams the events other replicas store (PostgreSQL) to this process's `/events/out`
/// subscribers, so a subscriber sees every replica's events live; reconnects when the database
/// connection breaks. (Only PostgreSQL has other replicas; a service that returned early would
/// end the whole service group, so on SQLite it just waits for shutdown.)
struct EventRelayService: Service {
    let store: Store
    let hub: EventHub
    let logger: Logger

    func run() async throws {
        guard store.backend.dialect == .postgres else {
            // Deliberate try?: waiting for shutdown ends with cancellation, which is the point.
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await store.events.followOtherReplicas { events in await hub.publish(events) }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("event relay interrupted, reconnecting: \(String(reflecting: error))")
                }
                // Deliberate try?: cancellation ends the wait and the loop.
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
