/// The outcome of a state proposal.
public enum SetStateStatus: String, Sendable {
    case ACCEPT, REJECT, ABORT, WAIT
}

/// The answer to `set_state`: the resulting state, the status and its details.
public struct OrchestrationResult: Sendable, JSONWritable {
    public var state: State?
    public var status: SetStateStatus
    /// For REJECT and ABORT.
    public var reason: String?
    /// For WAIT.
    public var delaySeconds: Int?
    /// Whether a new state row was written (201) or not (200).
    public var wroteState: Bool
    /// The `details.type` when it is not the status's own (resume answers REJECT with `abort_details`).
    public var detailsType: String?

    /// A result.
    public init(state: State?, status: SetStateStatus, reason: String? = nil, delaySeconds: Int? = nil, wroteState: Bool, detailsType: String? = nil)
    {
        self.state = state
        self.status = status
        self.reason = reason
        self.delaySeconds = delaySeconds
        self.wroteState = wroteState
        self.detailsType = detailsType
    }

    /// Writes `{"state", "status", "details"}` as the reference does.
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("state")
        if let state { state.write(to: &w) } else { w.null() }
        w.key("status")
        w.string(status.rawValue)
        w.key("details")
        writeDetails(to: &w)
        w.endObject()
    }

    /// Writes the `details` object.
    public func writeDetails(to w: inout JSONWriter) {
        if let detailsType {
            w.beginObject()
            w.key("type")
            w.string(detailsType)
            w.key("reason")
            w.string(reason)
            w.endObject()
            return
        }
        w.beginObject()
        switch status {
        case .ACCEPT:
            w.key("type")
            w.string("accept_details")
        case .REJECT:
            w.key("type")
            w.string("reject_details")
            w.key("reason")
            w.string(reason)
        case .ABORT:
            w.key("type")
            w.string("abort_details")
            w.key("reason")
            w.string(reason)
        case .WAIT:
            w.key("type")
            w.string("wait_details")
            w.key("delay_seconds")
            w.int(delaySeconds ?? 0)
            w.key("reason")
            w.string(reason)
        }
        w.endObject()
    }
}
