import Foundation
import SQLKit
import WeirModels

/// The `prefect.flow-run.<State>` events the server emits when a flow run's state is written, in
/// the reference's shape: the state's id and timestamp, the run as resource, and its flow,
/// deployment, queue, pool, parent task run, tags and creator as related resources.
enum FlowRunEvents {
    static func relatedResource(_ id: String, role: String, name: String? = nil, extra: [(String, JSONValue)] = []) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("prefect.resource.id", .string(id)), ("prefect.resource.role", .string(role))]
        if let name { pairs.append(("prefect.resource.name", .string(name))) }
        return .object(pairs + extra)
    }

    static func stateSummary(_ s: State) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("type", .string(s.type.rawValue)), ("name", .string(s.name))]
        if let m = s.message, !m.isEmpty { pairs.append(("message", .string(m))) }
        if s.type == .PAUSED { pairs.append(("pause_reschedule", .string(s.stateDetails.pauseReschedule ? "true" : "false"))) }
        return .object(pairs)
    }

    /// The tags of a joined row's `column`, none when the join found no row.
    static func tags(_ r: any SQLRow, _ column: String) throws -> [String] {
        try r.optString(column) == nil ? [] : r.tags(column)
    }

    /// Records (and queues for subscribers) the event for a newly written flow run state.
    static func emit(_ db: any SQLDatabase, runId: UUID, initial: State?, validated: State, now: Timestamp) async throws {
        guard
            let r = try await db.raw(
                """
                SELECT flow_run.name, flow_run.run_count, flow_run.tags, flow_run.created_by, flow.id AS flow_id, flow.name AS flow_name,
                       flow.tags AS flow_tags, deployment.id AS dep_id, deployment.name AS dep_name, deployment.tags AS dep_tags,
                       work_queue.id AS wq_id, work_queue.name AS wq_name, work_pool.id AS wp_id, work_pool.name AS wp_name,
                       work_pool.type AS wp_type, task_run.id AS ptr_id, task_run.name AS ptr_name, task_run.tags AS ptr_tags
                FROM flow_run JOIN flow ON flow.id = flow_run.flow_id
                LEFT JOIN deployment ON deployment.id = flow_run.deployment_id
                LEFT JOIN work_queue ON work_queue.id = flow_run.work_queue_id
                LEFT JOIN work_pool ON work_pool.id = work_queue.work_pool_id
                LEFT JOIN task_run ON task_run.id = flow_run.parent_task_run_id
                WHERE flow_run.id = \(bind: runId.lowercased)
                """
            ).first()
        else { return }
        var timestamp = validated.timestamp.description
        timestamp.removeLast()
        let runResource = JSONValue.object([
            ("prefect.resource.id", .string("prefect.flow-run.\(runId.lowercased)")),
            ("prefect.resource.name", .string(try r.string("name"))),
            ("prefect.run-count", .string(String(try r.int("run_count")))),
            ("prefect.state-message", .string(String((validated.message ?? "").prefix(100_000)))),
            ("prefect.state-name", .string(validated.name)),
            ("prefect.state-timestamp", .string(timestamp + "+00:00")),
            ("prefect.state-type", .string(validated.type.rawValue)),
        ])
        var related: [JSONValue] = [relatedResource("prefect.flow.\(try r.string("flow_id"))", role: "flow", name: try r.string("flow_name"))]
        if let dep = try r.optString("dep_id") {
            related.append(relatedResource("prefect.deployment.\(dep)", role: "deployment", name: try r.string("dep_name")))
        }
        if let wq = try r.optString("wq_id") {
            related.append(relatedResource("prefect.work-queue.\(wq)", role: "work-queue", name: try r.string("wq_name")))
        }
        if let wp = try r.optString("wp_id") {
            related.append(
                relatedResource(
                    "prefect.work-pool.\(wp)",
                    role: "work-pool",
                    name: try r.string("wp_name"),
                    extra: [("prefect.work-pool.type", .string(try r.string("wp_type")))]
                )
            )
        }
        if let ptr = try r.optString("ptr_id") {
            related.append(relatedResource("prefect.task-run.\(ptr)", role: "task-run", name: try r.string("ptr_name")))
        }
        let allTags = try Set(tags(r, "tags") + tags(r, "flow_tags") + tags(r, "dep_tags") + tags(r, "ptr_tags"))
        for tag in allTags.sorted() {
            related.append(.object([("prefect.resource.id", .string("prefect.tag.\(tag)")), ("prefect.resource.role", .string("tag"))]))
        }
        if let creator = try r.optJSONValue("created_by"), case .string(let type)? = creator["type"],
            type == "DEPLOYMENT" || type == "AUTOMATION", case .string(let cid)? = creator["id"]
        {
            var pairs: [(String, JSONValue)] = [
                ("prefect.resource.id", .string("prefect.\(type.lowercased()).\(cid)")), ("prefect.resource.role", .string("creator")),
            ]
            if case .string(let display)? = creator["display_value"] { pairs.append(("prefect.resource.name", .string(display))) }
            related.append(.object(pairs))
        }
        let payload = JSONValue.object([
            ("intended", .object([("from", initial.map { .string($0.type.rawValue) } ?? .null), ("to", .string(validated.type.rawValue))])),
            ("initial_state", initial.map(stateSummary) ?? .null),
            ("validated_state", stateSummary(validated)),
        ])
        let follows = initial.flatMap { abs(validated.timestamp.secondsSince($0.timestamp)) < 300 ? $0.id : nil }
        let event = Event(
            occurred: validated.timestamp,
            event: "prefect.flow-run.\(validated.name)",
            resource: runResource,
            related: related,
            payload: payload,
            id: validated.id,
            follows: follows,
            received: now
        )
        try await EventRepository.insert(db, [event])
        EventCollector.current?.append(event)
    }
}
