import Foundation
import SQLKit
import WeirModels

/// The store side of the pause-expirations and cancellation-cleanup services.
extension ServiceRepository {
    static let pauseExpirationsLock: Int64 = 0x5745_4952_0104
    static let cancellationCleanupLock: Int64 = 0x5745_4952_0105

    /// The states that are not final (`NON_TERMINAL_STATES`).
    static let nonTerminal = ["SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING"]

    /// `FailExpiredPauses`: each PAUSED flow run whose pause timed out is forced FAILED ("The
    /// flow was paused and never resumed."). The number failed, or nil when another replica ran
    /// the pass.
    public func failExpiredPauses(now fixed: Timestamp? = nil) async throws -> Int? {
        try await backend.writeExclusively(key: Self.pauseExpirationsLock) { db -> Int in
            let now = fixed ?? .now()
            var failed = 0
            var last = ""
            while true {
                let rows = try await db.raw(
                    "SELECT id, state FROM flow_run WHERE state_type = 'PAUSED' AND id > \(bind: last) ORDER BY id LIMIT 200"
                ).all()
                for row in rows {
                    guard let text = try row.optString("state") else { continue }
                    let state = try State(stored: StoredObject(text: text, location: "flow_run.state"))
                    guard let timeout = state.stateDetails.pauseTimeout, timeout < now else { continue }
                    let failure = StateCreate(type: .FAILED, message: "The flow was paused and never resumed.")
                    let result = try await RunStates.propose(db, kind: .flow, id: try row.uuid("id"), proposal: failure, force: true, now: fixed)
                    if result?.wroteState == true { failed += 1 }
                }
                guard rows.count == 200, let next = rows.last else { return failed }
                last = try next.string("id")
            }
        }
    }

    /// What one cancellation-cleanup pass did.
    public struct CleanupPass: Sendable, Equatable {
        public var taskRunsCancelled = 0
        public var subflowsCancelled = 0
        public var timedOut = 0
    }

    /// `CancellationCleanup`: unfinished task runs of flow runs cancelled in the last day are
    /// forced CANCELLED; an unfinished subflow whose parent flow run is CANCELLED is proposed
    /// CANCELLED (CANCELLING when it runs from a deployment, so its worker stops it); a run still
    /// CANCELLING `cancellingTimeout` seconds after it began is proposed CANCELLED ("Flow run
    /// cancellation timed out; ..."). Nil when another replica ran the pass.
    public func cleanUpCancellations(cancellingTimeout: Double, now fixed: Timestamp? = nil) async throws -> CleanupPass? {
        try await backend.writeExclusively(key: Self.cancellationCleanupLock) { db -> CleanupPass in
            let now = fixed ?? .now()
            var pass = CleanupPass()
            let open = SQLList(Self.nonTerminal.map { SQLBind($0) })
            let tasks = try await db.raw(
                """
                SELECT task_run.id FROM task_run JOIN flow_run ON flow_run.id = task_run.flow_run_id
                WHERE flow_run.state_type = 'CANCELLED' AND flow_run.end_time IS NOT NULL
                AND flow_run.end_time >= \(bind: now.adding(seconds: -86_400).microseconds)
                AND task_run.state_type IN (\(open)) ORDER BY task_run.id LIMIT 1000
                """
            ).all().map { try $0.uuid("id") }
            for id in tasks {
                let cancel = StateCreate(type: .CANCELLED, message: "The parent flow run was cancelled.")
                if try await RunStates.propose(db, kind: .task, id: id, proposal: cancel, force: true, now: fixed)?.wroteState == true {
                    pass.taskRunsCancelled += 1
                }
            }
            let subflows = try await db.raw(
                """
                SELECT sub.id, sub.deployment_id, sub.state_type FROM flow_run sub
                JOIN task_run parent_task ON parent_task.id = sub.parent_task_run_id
                JOIN flow_run parent ON parent.id = parent_task.flow_run_id
                WHERE sub.parent_task_run_id IS NOT NULL AND sub.state_type IN (\(open)) AND parent.state_type = 'CANCELLED'
                ORDER BY sub.id LIMIT 200
                """
            ).all()
            for row in subflows {
                let fromDeployment = try row.optUUID("deployment_id") != nil
                if fromDeployment, try row.optString("state_type") == "CANCELLING" { continue }
                let proposal = StateCreate(type: fromDeployment ? .CANCELLING : .CANCELLED, message: "The parent flow run was cancelled.")
                if try await RunStates.propose(db, kind: .flow, id: try row.uuid("id"), proposal: proposal, force: false, now: fixed)?.wroteState
                    == true
                {
                    pass.subflowsCancelled += 1
                }
            }
            let stuck = try await db.raw(
                """
                SELECT id FROM flow_run WHERE state_type = 'CANCELLING' AND state_timestamp IS NOT NULL
                AND state_timestamp <= \(bind: now.adding(seconds: -cancellingTimeout).microseconds) ORDER BY state_timestamp, id LIMIT 200
                """
            ).all().map { try $0.uuid("id") }
            for id in stuck {
                let cancelled = StateCreate(type: .CANCELLED, message: "Flow run cancellation timed out; marked this flow run as Cancelled.")
                if try await RunStates.propose(db, kind: .flow, id: id, proposal: cancelled, force: false, now: fixed)?.wroteState == true {
                    pass.timedOut += 1
                }
            }
            return pass
        }
    }
}
