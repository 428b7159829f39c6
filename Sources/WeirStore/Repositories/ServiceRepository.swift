import Foundation
import SQLKit
import WeirModels
import WeirOrchestration

/// The store side of the server's background services. Each pass runs under a database-wide lock
/// (PostgreSQL advisory lock), so with several replicas on one database a pass runs in one of them
/// at a time and any replica takes over when another stops.
public struct ServiceRepository: Sendable {
    let backend: any StoreBackend

    /// The advisory lock key of the late-runs pass.
    static let lateRunsLock: Int64 = 0x5745_4952_0101

    /// The outcome of one pass of the late-runs service.
    public enum LatePass: Sendable, Equatable {
        /// This process ran the pass and marked this many runs `Late`.
        case marked(Int)
        /// Another replica was running the pass.
        case skipped
    }

    /// `MarkLateRuns`: proposes `Late` (with `MarkLateRunsPolicy`) for up to `limit` flow runs still
    /// `Scheduled` whose next scheduled start is `afterSeconds` or more in the past.
    public func markLateRuns(now fixed: Timestamp? = nil, afterSeconds: Double = 15, limit: Int = 400) async throws -> LatePass {
        let marked = try await backend.writeExclusively(key: Self.lateRunsLock) { db -> Int in
            let now = fixed ?? .now()
            let cutoff = now.microseconds - Int64(afterSeconds * 1_000_000)
            let rows = try await db.raw(
                """
                SELECT id, next_scheduled_start_time FROM flow_run
                WHERE next_scheduled_start_time <= \(bind: cutoff) AND state_type = 'SCHEDULED' AND state_name = 'Scheduled'
                ORDER BY next_scheduled_start_time LIMIT \(bind: limit)
                """
            ).all()
            var count = 0
            for row in rows {
                var details = StateDetails()
                details.scheduledTime = try row.optTimestamp("next_scheduled_start_time")
                let late = StateCreate(type: .SCHEDULED, name: "Late", stateDetails: details)
                let result = try await RunStates.propose(
                    db,
                    kind: .flow,
                    id: row.uuid("id"),
                    proposal: late,
                    force: false,
                    now: fixed,
                    policy: Policies.markLate
                )
                if result?.wroteState == true { count += 1 }
            }
            return count
        }
        return marked.map(LatePass.marked) ?? .skipped
    }
}
