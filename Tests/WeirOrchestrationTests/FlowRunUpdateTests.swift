import Foundation
import Testing
import WeirModels

@testable import WeirOrchestration

/// Resume, job variable updates and the choice of policy, from tables.
@Suite struct FlowRunUpdateTests {
    static func state(_ type: StateType, reschedule: Bool = false, keyset: Bool = false) -> State {
        var details = StateDetails()
        details.pauseReschedule = reschedule
        if keyset { details.runInputKeyset = .object([("description", .string("k"))]) }
        return State(id: UUID(), type: type, name: type.defaultName, timestamp: t0, message: nil, data: nil, stateDetails: details)
    }

    struct ResumeCase: CustomTestStringConvertible, Sendable {
        var name: String
        var current: State?
        /// The answer's status and reason, or nil when a state is proposed.
        var answer: (SetStateStatus, String, detailsType: String?)?
        /// The proposed type and name.
        var proposal: (StateType, String?)?
        var testDescription: String { name }
    }

    static let resumeCases: [ResumeCase] = [
        ResumeCase(name: "a run without a state", current: nil, answer: (.ABORT, "Cannot resume a flow run that is not paused.", nil)),
        ResumeCase(name: "a running run", current: state(.RUNNING), answer: (.ABORT, "Cannot resume a flow run that is not paused.", nil)),
        ResumeCase(
            name: "a suspended run waiting for input",
            current: state(.PAUSED, keyset: true),
            answer: (.REJECT, "Run input schema not found.", "abort_details")
        ),
        ResumeCase(name: "a paused run", current: state(.PAUSED), proposal: (.RUNNING, nil)),
        ResumeCase(name: "a suspended run (reschedule)", current: state(.PAUSED, reschedule: true), proposal: (.SCHEDULED, "Resuming")),
    ]

    @Test(arguments: resumeCases) func resume(_ c: ResumeCase) {
        switch Resume.decide(current: c.current, now: t0) {
        case .answer(let result):
            #expect(c.answer?.0 == result.status)
            #expect(c.answer?.1 == result.reason)
            #expect(c.answer?.detailsType == result.detailsType)
            #expect(result.wroteState == false)
        case .propose(let proposal):
            #expect(c.proposal?.0 == proposal.type)
            #expect(c.proposal?.1 == proposal.name)
            // A rescheduled resume is due now.
            #expect(proposal.stateDetails.scheduledTime == (proposal.type == .SCHEDULED ? t0 : nil))
        }
    }

    @Test(
        arguments: [
            (nil, true, "Flow run state is required to update job variables but none exists"),
            (StateType.RUNNING, true, "Job variables for a flow run in state RUNNING cannot be updated"),
            (StateType.PENDING, false, "Job variables for a flow run in state PENDING cannot be updated"),
            (StateType.SCHEDULED, false, "A deployment for the flow run could not be found"),
            (StateType.SCHEDULED, true, nil),
        ] as [(StateType?, Bool, String?)]
    )
    func jobVariableUpdates(state: StateType?, deploymentExists: Bool, refusal: String?) {
        #expect(JobVariableUpdate.refusal(stateType: state, deploymentExists: deploymentExists) == refusal)
    }

    /// A policy's steps by name.
    static func names(_ policy: Policy) -> [String] {
        policy.steps.map { step in
            switch step {
            case .rule(let r): String(describing: type(of: r))
            case .transform(let t): String(describing: type(of: t))
            }
        }
    }

    @Test func forcedProposalsGoThroughTheMinimalPolicies() {
        #expect(Self.names(Policies.forProposal(kind: .flow, force: false)) == Self.names(Policies.coreFlow))
        #expect(Self.names(Policies.forProposal(kind: .flow, force: true)) == Self.names(Policies.minimalFlow))
        #expect(Self.names(Policies.forProposal(kind: .task, force: false)) == Self.names(Policies.coreTask))
        #expect(Self.names(Policies.forProposal(kind: .task, force: true)) == Self.names(Policies.minimalTask))
        #expect(Self.names(Policies.minimalFlow).contains("PreventResultDataLoss"))
        #expect(!Self.names(Policies.minimalTask).contains("CacheRetrieval"))
    }
}
