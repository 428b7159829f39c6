import Foundation

/// An event: something that happened to a resource (a task run changed state, a flow run
/// started), as the client sends it on `/events/in` and the server records and streams it.
public struct Event: Sendable, Equatable, JSONWritable {
    public var occurred: Timestamp
    public var event: String
    /// The resource's labels (`prefect.resource.id`, ...), an object of strings.
    public var resource: JSONValue
    /// Related resources, each an object of labels with a `prefect.resource.role`.
    public var related: [JSONValue]
    public var payload: JSONValue
    public var id: UUID
    public var follows: UUID?
    /// When the server received it.
    public var received: Timestamp

    /// An event with every field given.
    public init(
        occurred: Timestamp,
        event: String,
        resource: JSONValue,
        related: [JSONValue],
        payload: JSONValue,
        id: UUID,
        follows: UUID?,
        received: Timestamp
    ) {
        self.occurred = occurred
        self.event = event
        self.resource = resource
        self.related = related
        self.payload = payload
        self.id = id
        self.follows = follows
        self.received = received
    }

    /// The maximum event name length (`PREFECT_SERVER_EVENTS_MAXIMUM_EVENT_NAME_LENGTH`).
    public static let maximumNameLength = 1024

    /// The resource's `prefect.resource.id`.
    public var resourceId: String {
        if case .string(let s)? = resource["prefect.resource.id"] { return s }
        return ""
    }

    /// The related resource with a role, if any.
    public func related(role: String) -> JSONValue? {
        related.first { $0["prefect.resource.role"] == .string(role) }
    }

    /// The UUID of a `prefect.<kind>.<uuid>` resource id.
    public static func objectId(_ resourceId: String?, kind: String) -> UUID? {
        guard let resourceId, resourceId.hasPrefix(kind + ".") else { return nil }
        return UUID(uuidString: String(resourceId.dropFirst(kind.count + 1)))
    }

    /// Reads an event as clients send it; `received` is the server's clock.
    public static func read(_ field: JSONField, received: Timestamp) -> Event? {
        guard let r = field.model(forbidExtra: false, known: []) else { return nil }
        let occurred = r.required("occurred")?.timestamp()
        let name = r.required("event")?.string()
        if let name, name.count > maximumNameLength {
            r["event"].fail("value_error", "Value error, Event name must be at most \(maximumNameLength) characters")
        }
        let resource = r.required("resource").flatMap { labels($0, role: false) }
        let related = r["related"].isAbsentOrNull ? [] : r["related"].list { labels($0, role: true) }
        let payload = r["payload"].isAbsentOrNull ? JSONValue.emptyObject : r["payload"].object()
        let id = r.required("id")?.uuid()
        let follows = r["follows"].uuid()
        guard let occurred, let name, let resource, let related, let payload, let id, field.context.issues.isEmpty else { return nil }
        return Event(
            occurred: occurred,
            event: name,
            resource: resource,
            related: related,
            payload: payload,
            id: id,
            follows: follows,
            received: received
        )
    }

    /// A resource's labels: an object of strings with a non-empty `prefect.resource.id` (and role).
    static func labels(_ f: JSONField, role: Bool) -> JSONValue? {
        guard let value = f.object(), case .object(let pairs) = value else { return nil }
        guard pairs.allSatisfy({ if case .string = $0.1 { return true } else { return false } }) else {
            f.fail("value_error", "Value error, resource labels must be strings")
            return nil
        }
        guard case .string(let id)? = value["prefect.resource.id"], !id.isEmpty else {
            f.fail("value_error", "Value error, Resources must include the prefect.resource.id label")
            return nil
        }
        if role {
            guard case .string(let r)? = value["prefect.resource.role"], !r.isEmpty else {
                f.fail("value_error", "Value error, Related Resources must include the prefect.resource.role label")
                return nil
            }
        }
        return value
    }

    /// Writes the reference's `ReceivedEvent`.
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("occurred")
        w.date(occurred)
        w.key("event")
        w.string(event)
        w.key("resource")
        w.value(resource)
        w.key("related")
        w.value(.array(related))
        w.key("payload")
        w.value(payload)
        w.key("id")
        w.uuid(id)
        w.key("follows")
        w.uuid(follows)
        w.key("received")
        w.date(received)
        w.endObject()
    }
}

/// What the task run recorder takes from a `prefect.task-run.*` event: the task run's fields from
/// `payload.task_run`, its flow run from the `flow-run` related resource, and its new state.
public struct TaskRunEventRecord: Sendable, Equatable {
    public var taskRunId: UUID
    public var flowRunId: UUID?
    /// The keys of `payload.task_run` (validated), to be written as columns.
    public var fields: [(String, JSONValue)]
    public var state: State

    /// Equal when the task run, state and fields agree.
    public static func == (a: TaskRunEventRecord, b: TaskRunEventRecord) -> Bool {
        a.taskRunId == b.taskRunId && a.flowRunId == b.flowRunId && a.state == b.state && JSONValue.object(a.fields) == JSONValue.object(b.fields)
    }

    /// The record for an event, or nil when it is not a task run state event the recorder handles.
    public static func from(_ event: Event) -> TaskRunEventRecord? {
        guard event.event.hasPrefix("prefect.task-run"), event.resource["prefect.orchestration"] == .string("client"),
            let taskRunId = Event.objectId(event.resourceId, kind: "prefect.task-run"),
            case .object(let taskRun)? = event.payload["task_run"], let validated = event.payload["validated_state"]
        else { return nil }
        var flowRunId: UUID?
        if case .string(let rid)? = event.related(role: "flow-run")?["prefect.resource.id"] {
            flowRunId = Event.objectId(rid, kind: "prefect.flow-run")
        }
        let ctx = ValidationContext()
        guard let r = JSONField(value: validated, loc: [], context: ctx).model(forbidExtra: false, known: []),
            let type = r["type"].enumeration(StateType.self)
        else { return nil }
        var details = r["state_details"].model(forbidExtra: false, known: []).map(StateDetails.init) ?? StateDetails()
        details.taskRunId = taskRunId
        details.flowRunId = flowRunId
        let data = r["data"].value.flatMap { $0 == .null ? nil : $0 }
        let state = State(
            id: event.id,
            type: type,
            name: r["name"].string() ?? type.defaultName,
            timestamp: event.occurred,
            message: r["message"].string(),
            data: data,
            stateDetails: details
        )
        guard let fields = validatedFields(taskRun) else { return nil }
        return TaskRunEventRecord(taskRunId: taskRunId, flowRunId: flowRunId, fields: fields, state: state)
    }

    /// The task run's fields as the reference's `TaskRun.model_validate` reads them, or nil when
    /// it would refuse them (its recorder then records nothing): strings, times, counts, a list of
    /// string tags, labels, and the policy normalised as a created task run's is.
    static func validatedFields(_ taskRun: [(String, JSONValue)]) -> [(String, JSONValue)]? {
        let ctx = ValidationContext()
        guard let r = JSONField(value: .object(taskRun), loc: [], context: ctx).model(forbidExtra: false, known: []) else { return nil }
        var fields: [(String, JSONValue)] = []
        for (key, value) in taskRun {
            let f = r[key]
            if value == .null, let (type, msg) = notNullable[key] {
                f.fail(type, msg)
                continue
            }
            let read: JSONValue?
            switch key {
            // A null name gets a generated one, as the reference's default factory gives it.
            case "name": read = value == .null ? .string(NameGenerator.slug()) : f.string().map(JSONValue.string)
            case "task_key", "dynamic_key", "cache_key", "task_version": read = f.string().map(JSONValue.string)
            case "cache_expiration", "expected_start_time", "next_scheduled_start_time", "start_time", "end_time":
                read = f.timestamp().map { .string($0.description) }
            case "run_count", "flow_run_run_count": read = f.int().map { .number(String($0)) }
            case "total_run_time":
                // A timedelta: a number of seconds (a string such as "3" is refused).
                if case .string = value { f.fail("time_delta_parsing", "Input should be a valid timedelta") }
                read = f.double().map { .number(JSONWriter.pythonFloat($0)) }
            case "tags": read = f.tags().map { .array($0.map(JSONValue.string)) }
            // The reference keeps null (and absent) labels as null; the column holds {} for them.
            case "labels": read = f.labels()
            case "task_inputs": read = f.object()
            case "empirical_policy": read = TaskRunPolicy.read(f)
            default: read = value
            }
            fields.append((key, read ?? .null))
        }
        // An absent policy is the default one, normalised as a given one is.
        if !taskRun.contains(where: { $0.0 == "empirical_policy" }), let policy = TaskRunPolicy.read(r["empirical_policy"]) {
            fields.append(("empirical_policy", policy))
        }
        return ctx.issues.isEmpty ? fields : nil
    }

    /// The fields where the reference refuses null, with its error.
    static let notNullable: [String: (String, String)] = [
        "task_key": ("string_type", "Input should be a valid string"),
        "dynamic_key": ("string_type", "Input should be a valid string"),
        "run_count": ("int_type", "Input should be a valid integer"),
        "flow_run_run_count": ("int_type", "Input should be a valid integer"),
        "total_run_time": ("time_delta_type", "Input should be a valid timedelta"),
        "tags": ("list_type", "Input should be a valid list"),
        "task_inputs": ("dict_type", "Input should be a valid dictionary"),
        "empirical_policy": ("model_type", "Input should be a valid dictionary"),
    ]
}

/// An `EventPage`: `{events, total, next_page}`.
public struct EventPage: JSONWritable {
    public var events: [Event]
    public var total: Int
    public var nextPage: String?

    /// One page of events out of `total`, with the URL of the next page if there is one.
    public init(events: [Event], total: Int, nextPage: String?) {
        self.events = events
        self.total = total
        self.nextPage = nextPage
    }

    public var jsonSizeHint: Int { 128 + events.jsonSizeHint }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("events")
        events.write(to: &w)
        w.key("total")
        w.int(total)
        w.key("next_page")
        w.string(nextPage)
        w.endObject()
    }
}
