import Foundation
import WeirModels

/// Events the store emits while a write transaction runs (flow run state changes), handed to the
/// backend's sink once the transaction commits, so subscribers never see an event that rolled back.
final class EventCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [Event] = []

    /// The transaction in progress, if any.
    @TaskLocal static var current: EventCollector?

    /// Adds an event.
    func append(_ e: Event) {
        lock.lock()
        collected.append(e)
        lock.unlock()
    }

    /// Everything collected.
    var events: [Event] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }
}
