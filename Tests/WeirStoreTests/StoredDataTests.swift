import Foundation
import SQLKit
import Testing
import WeirModels

@testable import WeirStore

/// Stored data is read strictly: a column the query did not select, a value of the wrong type or
/// a stored JSON document Weir did not write is a fault that surfaces, never a default.
@Suite struct StoredDataTests {
    /// A run whose `column` was overwritten with `text` behind Weir's back.
    func corrupted(_ store: Store, column: String, text: String) async throws -> UUID {
        let (flow, _) = try await store.flows.create(FlowCreate(name: "stored"))
        let run = try await store.run(flow, name: "r", state: StateCreate(type: .PENDING))
        try await store.backend.write { db in
            try await db.raw("UPDATE flow_run SET \(ident: column) = \(bind: text) WHERE id = \(bind: run.id.uuidString.lowercased())").run()
        }
        return run.id
    }

    @Test func aColumnTheQueryDidNotSelectThrows() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "f"))
            _ = try await store.run(flow, name: "r")
            await #expect(throws: (any Error).self) {
                try await store.backend.read { db in try await db.raw("SELECT id FROM flow_run").first()?.string("name") }
            }
            let id = try await store.backend.read { db in try await db.raw("SELECT id FROM flow_run").first()?.uuid("id") }
            #expect(id != nil)
        }
    }

    @Test func tagsThatAreNotAListOfStringsAreAFault() async throws {
        try await withStore { store in
            let id = try await corrupted(store, column: "tags", text: #"["a", 1]"#)
            await #expect(throws: StoredDataError("tags", "not a list of strings")) { _ = try await store.flowRuns.get(id) }
        }
    }

    @Test func aPolicyOfTheWrongTypeIsAFaultNotTheDefaultPolicy() async throws {
        try await withStore { store in
            let id = try await corrupted(store, column: "empirical_policy", text: #"{"retries": "three"}"#)
            let running = SetStateRequest(state: StateCreate(type: .RUNNING), force: false)
            await #expect(throws: StoredDataError("empirical_policy.retries", "expected an integer")) {
                _ = try await store.flowRuns.setState(id, running)
            }
        }
    }

    @Test func aStoredStateThatIsNotJSONIsAFault() async throws {
        try await withStore { store in
            let id = try await corrupted(store, column: "state", text: "{not json")
            let running = SetStateRequest(state: StateCreate(type: .RUNNING), force: false)
            await #expect(throws: StoredDataError.self) { _ = try await store.flowRuns.setState(id, running) }
        }
    }

    @Test func storedStatesAndPoliciesReadBackWhatWasWritten() throws {
        var details = StateDetails()
        details.flowRunId = UUID()
        details.scheduledTime = Timestamp(microseconds: 1_700_000_000_123_456)
        details.cacheKey = "k"
        details.pauseReschedule = true
        details.deferred = nil
        let state = State(
            id: UUID(),
            type: .PAUSED,
            name: "Suspended",
            timestamp: Timestamp(microseconds: 1_700_000_000_000_000),
            message: "m",
            data: .array([.number("1")]),
            stateDetails: details
        )
        let read = try State(stored: StoredObject(text: state.jsonBytes().string, location: "state"))
        #expect(read == state)

        var policy = FlowRunPolicy()
        policy.retries = 3
        policy.retryDelay = 10
        policy.pauseKeys = ["a", "b"]
        policy.resuming = nil
        policy.retryType = "reschedule"
        #expect(try FlowRunPolicy(stored: StoredObject(text: policy.jsonBytes().string, location: "p")) == policy)

        // An imported row holds the reference's policy as it is: deprecated fields only, repeated
        // pause keys, a delay past Int's range. It reads as the reference normalises it, no trap.
        let imported = try FlowRunPolicy(
            stored: StoredObject(text: #"{"max_retries": 2, "retry_delay_seconds": 7.9, "pause_keys": ["k", "k", "j"]}"#, location: "p")
        )
        #expect(imported.retries == 2 && imported.retryDelay == 7 && imported.pauseKeys == ["k", "j"])
        let huge = try FlowRunPolicy(stored: StoredObject(text: #"{"retry_delay_seconds": 1e300}"#, location: "p"))
        #expect(huge.retryDelay == nil)

        #expect(throws: StoredDataError("s.type", "unknown state type NOPE")) {
            try State(stored: StoredObject(text: #"{"id": "\#(UUID())", "type": "NOPE", "timestamp": "2026-01-01T00:00:00Z"}"#, location: "s"))
        }
        #expect(throws: StoredDataError("s.timestamp", "missing")) {
            try State(stored: StoredObject(text: #"{"id": "\#(UUID())", "type": "RUNNING"}"#, location: "s"))
        }
    }
}

extension [UInt8] {
    fileprivate var string: String { String(decoding: self, as: UTF8.self) }
}
