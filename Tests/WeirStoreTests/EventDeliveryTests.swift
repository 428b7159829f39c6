import Foundation
import NIOConcurrencyHelpers
import Testing
import WeirModels

@testable import WeirStore

/// Handing committed transactions' events to the server's sink.
@Suite struct EventDeliveryTests {
    /// A delivery must cost the same after many writes: storing the sink as a generic box's value
    /// wrapped it in two more thunks per write, so deliveries slowed down with the server's age
    /// (these 20,000 deliveries took 21.8 s with the old code, 0.03 s now).
    @Test func deliveryCostDoesNotGrowWithWrites() async throws {
        let delivery = EventDelivery()
        let delivered = NIOLockedValueBox(0)
        delivery.set { events in delivered.withLockedValue { $0 += events.count } }
        let event = Event(
            occurred: .now(),
            event: "weir.test",
            resource: .object([("prefect.resource.id", .string("weir.test"))]),
            related: [],
            payload: .emptyObject,
            id: UUID(),
            follows: nil,
            received: .now()
        )
        let writes = 20_000
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for _ in 0..<writes {
                try await delivery.collecting { EventCollector.current?.append(event) }
            }
        }
        #expect(delivered.withLockedValue { $0 } == writes)
        #expect(elapsed < .seconds(5), "20,000 deliveries took \(elapsed)")
    }
}
