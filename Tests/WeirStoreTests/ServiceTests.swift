import Foundation
import Testing
import WeirModels
import WeirTestSupport

@testable import WeirStore

/// The store side of the background services.
@Suite struct ServiceTests {
    let t0 = Timestamp(microseconds: 1_780_000_000_000_000)

    /// A run still `Scheduled` 15 s past its start becomes `Late` once; one not yet due, or already
    /// started, is left alone.
    @Test func lateRunsAreMarkedOnce() async throws {
        try await withStore { store in
            let (flow, _) = try await store.flows.create(FlowCreate(name: "late"), now: t0)
            let overdue = try await store.run(flow, name: "overdue", state: scheduled(t0), at: t0)
            let due = try await store.run(flow, name: "due-soon", state: scheduled(t0.adding(seconds: 10)), at: t0)
            let started = try await store.run(flow, name: "started", state: scheduled(t0), at: t0)
            _ = try await store.flowRuns.setState(started.id, SetStateRequest(state: StateCreate(type: .PENDING)), now: t0.adding(seconds: 1))

            #expect(try await store.services.markLateRuns(now: t0.adding(seconds: 20)) == .marked(1))
            let late = try #require(try await store.flowRuns.get(overdue.id))
            #expect(late.stateType == .SCHEDULED && late.stateName == "Late")
            #expect(try await store.flowRuns.get(due.id)?.stateName == "Scheduled")
            #expect(try await store.flowRuns.get(started.id)?.stateName == "Pending")
            #expect(try await store.services.markLateRuns(now: t0.adding(seconds: 21)) == .marked(0))
            #expect(try await store.services.markLateRuns(now: t0.adding(seconds: 30)) == .marked(1))
            let names = try await store.states.history(kind: .flow, runId: overdue.id).map(\.name)
            #expect(names == ["Scheduled", "Late"])
        }
    }

    /// On PostgreSQL, work under one lock key runs in one transaction at a time across every
    /// connection (every replica): a second pass while the first holds the lock is skipped.
    @Test(.enabled(if: TestDatabase.isPostgres)) func exclusiveWorkSkipsWhileAnotherHoldsTheLock() async throws {
        try await withStore { store in
            let backend = store.backend
            let holding = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            // The first pass holds the lock until the other two have run (however slow the machine).
            async let first: Int? = backend.writeExclusively(key: 42) { _ in
                holding.continuation.yield()
                for await _ in release.stream { break }
                return 1
            }
            for await _ in holding.stream { break }
            let second = try await backend.writeExclusively(key: 42) { _ in 2 }
            let other = try await backend.writeExclusively(key: 43) { _ in 3 }
            release.continuation.yield()
            #expect(second == nil)
            #expect(other == 3)
            #expect(try await first == 1)
            #expect(try await backend.writeExclusively(key: 42) { _ in 4 } == 4)
        }
    }
}
