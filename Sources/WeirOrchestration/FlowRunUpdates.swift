import Foundation
import WeirModels

/// The decisions around a flow run that are not state proposals: resuming a paused run and
/// updating a run's job variables. Pure: the store loads what they need and carries them out.

/// `POST /flow_runs/{id}/resume`: what resuming a run in `current` does.
public enum Resume {
    /// Either an answer without a proposal, or the proposal to make.
    public enum Decision: Sendable {
        /// Answer this at once; nothing is written.
        case answer(OrchestrationResult)
        /// Propose this state through the flow run policy.
        case propose(StateCreate)
    }

    /// The reference's `resume_flow_run`: only a paused run resumes; a pause that waits for run
    /// input is refused (Weir keeps no run input schemas); a run paused with `reschedule` goes
    /// back to Scheduled ("Resuming", now), any other to Running.
    public static func decide(current: State?, now: Timestamp) -> Decision {
        guard let current, current.type == .PAUSED else {
            return .answer(OrchestrationResult(state: nil, status: .ABORT, reason: "Cannot resume a flow run that is not paused.", wroteState: false))
        }
        if current.stateDetails.runInputKeyset != nil {
            return .answer(
                OrchestrationResult(
                    state: current,
                    status: .REJECT,
                    reason: "Run input schema not found.",
                    wroteState: false,
                    detailsType: "abort_details"
                )
            )
        }
        guard current.stateDetails.pauseReschedule else { return .propose(StateCreate(type: .RUNNING)) }
        var details = StateDetails()
        details.scheduledTime = now
        return .propose(StateCreate(type: .SCHEDULED, name: "Resuming", stateDetails: details))
    }
}

/// `PATCH /flow_runs/{id}` with `job_variables`: the reference's `update_flow_run` checks.
public enum JobVariableUpdate {
    /// Why the update is refused (the reference's 400 detail), or nil when it may go ahead: the
    /// run must be Scheduled, and its deployment must still exist.
    public static func refusal(stateType: StateType?, deploymentExists: Bool) -> String? {
        guard let stateType else { return "Flow run state is required to update job variables but none exists" }
        guard stateType == .SCHEDULED else { return "Job variables for a flow run in state \(stateType.rawValue) cannot be updated" }
        guard deploymentExists else { return "A deployment for the flow run could not be found" }
        return nil
    }
}

extension Policies {
    /// The policy a proposal goes through: the core policy, or the minimal one when forced.
    public static func forProposal(kind: RunKind, force: Bool) -> Policy {
        switch (kind, force) {
        case (.flow, false): coreFlow
        case (.flow, true): minimalFlow
        case (.task, false): coreTask
        case (.task, true): minimalTask
        }
    }
}
