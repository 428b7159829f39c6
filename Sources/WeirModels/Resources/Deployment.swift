import Foundation

/// A deployment: a flow packaged to be run remotely, from which most production runs are born.
public struct Deployment: Sendable, Equatable {
    public var id: UUID
    public var created: Timestamp
    public var updated: Timestamp
    public var name: String
    public var version: String?
    public var description: String?
    public var flowId: UUID
    public var paused: Bool
    public var schedules: RawJSON
    public var concurrencyLimit: Int?
    public var concurrencyOptions: RawJSON?
    public var jobVariables: RawJSON
    public var parameters: RawJSON
    public var tags: [String]
    public var labels: RawJSON
    public var workQueueName: String?
    public var workQueueId: UUID?
    public var lastPolled: Timestamp?
    public var parameterOpenapiSchema: RawJSON?
    public var path: String?
    public var pullSteps: RawJSON?
    public var entrypoint: String?
    public var storageDocumentId: UUID?
    public var infrastructureDocumentId: UUID?
    public var createdBy: RawJSON?
    public var updatedBy: RawJSON?
    public var workPoolName: String?
    public var status: String
    public var enforceParameterSchema: Bool

    /// A deployment with every field given.
    public init(
        id: UUID,
        created: Timestamp,
        updated: Timestamp,
        name: String,
        version: String?,
        description: String?,
        flowId: UUID,
        paused: Bool,
        schedules: RawJSON,
        concurrencyLimit: Int?,
        concurrencyOptions: RawJSON?,
        jobVariables: RawJSON,
        parameters: RawJSON,
        tags: [String],
        labels: RawJSON,
        workQueueName: String?,
        workQueueId: UUID?,
        lastPolled: Timestamp?,
        parameterOpenapiSchema: RawJSON?,
        path: String?,
        pullSteps: RawJSON?,
        entrypoint: String?,
        storageDocumentId: UUID?,
        infrastructureDocumentId: UUID?,
        createdBy: RawJSON?,
        updatedBy: RawJSON?,
        workPoolName: String?,
        status: String,
        enforceParameterSchema: Bool
    ) {
        self.id = id
        self.created = created
        self.updated = updated
        self.name = name
        self.version = version
        self.description = description
        self.flowId = flowId
        self.paused = paused
        self.schedules = schedules
        self.concurrencyLimit = concurrencyLimit
        self.concurrencyOptions = concurrencyOptions
        self.jobVariables = jobVariables
        self.parameters = parameters
        self.tags = tags
        self.labels = labels
        self.workQueueName = workQueueName
        self.workQueueId = workQueueId
        self.lastPolled = lastPolled
        self.parameterOpenapiSchema = parameterOpenapiSchema
        self.path = path
        self.pullSteps = pullSteps
        self.entrypoint = entrypoint
        self.storageDocumentId = storageDocumentId
        self.infrastructureDocumentId = infrastructureDocumentId
        self.createdBy = createdBy
        self.updatedBy = updatedBy
        self.workPoolName = workPoolName
        self.status = status
        self.enforceParameterSchema = enforceParameterSchema
    }
}

extension Deployment: JSONWritable {
    /// Writes the reference's `DeploymentResponse`.
    public func write(to w: inout JSONWriter) {
        w.beginResource(id: id, created: created, updated: updated)
        w.key("name")
        w.string(name)
        w.key("version")
        w.string(version)
        w.key("description")
        w.string(description)
        w.key("flow_id")
        w.uuid(flowId)
        w.key("paused")
        w.bool(paused)
        w.key("schedules")
        schedules.write(to: &w)
        w.key("concurrency_limit")
        if let concurrencyLimit { w.int(concurrencyLimit) } else { w.null() }
        w.key("global_concurrency_limit")
        w.null()
        w.key("concurrency_options")
        w.raw(concurrencyOptions)
        w.key("job_variables")
        jobVariables.write(to: &w)
        w.key("parameters")
        parameters.write(to: &w)
        w.key("tags")
        w.strings(tags)
        w.key("labels")
        labels.write(to: &w)
        w.key("work_queue_name")
        w.string(workQueueName)
        w.key("work_queue_id")
        w.uuid(workQueueId)
        w.key("last_polled")
        w.date(lastPolled)
        w.key("parameter_openapi_schema")
        w.raw(parameterOpenapiSchema)
        w.key("path")
        w.string(path)
        w.key("pull_steps")
        if let pullSteps { pullSteps.write(to: &w) } else { w.null() }
        w.key("entrypoint")
        w.string(entrypoint)
        w.key("storage_document_id")
        w.uuid(storageDocumentId)
        w.key("infrastructure_document_id")
        w.uuid(infrastructureDocumentId)
        w.key("created_by")
        w.raw(createdBy)
        w.key("updated_by")
        w.raw(updatedBy)
        w.key("work_pool_name")
        w.string(workPoolName)
        w.key("status")
        w.string(status)
        w.key("enforce_parameter_schema")
        w.bool(enforceParameterSchema)
        w.endObject()
    }
}

/// `POST /deployments/` body (`DeploymentCreate`).
public struct DeploymentCreate: Sendable {
    public var name: String
    public var flowId: UUID
    public var paused = false
    /// Each schedule as given, its `schedule` normalised.
    public var schedules: [DeploymentScheduleInput] = []
    public var concurrencyLimit: Int?
    public var concurrencyOptions: JSONValue?
    public var enforceParameterSchema = true
    public var parameterOpenapiSchema: JSONValue?
    public var parameters: JSONValue = .emptyObject
    public var tags: [String] = []
    public var labels: JSONValue = .emptyObject
    public var pullSteps: JSONValue?
    public var workQueueName: String?
    public var workPoolName: String?
    public var storageDocumentId: UUID?
    public var infrastructureDocumentId: UUID?
    public var description: String?
    public var path: String?
    public var version: String?
    public var entrypoint: String?
    public var jobVariables: JSONValue = .emptyObject
    /// The keys the body set; an upsert changes only these.
    public var present: Set<String> = []
    /// Read as a `DeploymentUpdate` (schedules need no `schedule`).
    public var isUpdate = false

    /// Reads and validates the body. Unlike the reference (which answers 500), a name with
    /// `/ % & > <` is a 422.
    /// The body with `parameters` set, `{}` when absent, as the reference's
    /// `_validate_parameters_conform_to_schema` sets it on the request before validating: an
    /// upsert then resets a deployment's parameters, and a 422 echoes the body with them.
    public static func settingParameters(_ body: JSONValue?) -> JSONValue? {
        guard case .object(let pairs)? = body, !pairs.contains(where: { $0.0 == "parameters" }) else { return body }
        return .object(pairs + [("parameters", .emptyObject)])
    }

    /// The reference's normalisation of an empty parameter schema (`_normalize_parameter_schema`).
    static let emptyParameterSchema = JSONValue.object([("type", .string("object")), ("properties", .emptyObject)])

    /// `ConcurrencyOptions`: a collision strategy and an optional grace period of 60 s to a day,
    /// answered with both keys as the reference stores them.
    static func concurrencyOptions(_ field: JSONField) -> JSONValue? {
        guard let r = field.model(known: ["collision_strategy", "grace_period_seconds"]) else { return nil }
        let strategy = r.required("collision_strategy")?.enumeration(CollisionStrategy.self)
        let grace = r["grace_period_seconds"].int()
        if let grace, grace < 60 {
            r["grace_period_seconds"].fail("greater_than_equal", "Input should be greater than or equal to 60", ctx: .object([("ge", .number("60"))]))
        } else if let grace, grace > 86400 {
            r["grace_period_seconds"].fail("less_than_equal", "Input should be less than or equal to 86400", ctx: .object([("le", .number("86400"))]))
        }
        guard let strategy else { return nil }
        return .object([("collision_strategy", .string(strategy.rawValue)), ("grace_period_seconds", grace.map { .number(String($0)) } ?? .null)])
    }

    public static func read(_ field: JSONField, now: Timestamp) -> DeploymentCreate? {
        let known = updatable
        guard let r = field.model(known: known) else { return nil }
        let name = r.required("name")?.name()
        let flowId = r.required("flow_id")?.uuid()
        var c = DeploymentCreate(name: name ?? "", flowId: flowId ?? UUID())
        readFields(r, into: &c, now: now)
        guard name != nil, flowId != nil, field.context.issues.isEmpty else { return nil }
        return c
    }

    /// Reads a `PATCH /deployments/{id}` body (`DeploymentUpdate`): the fields of a creation
    /// but no name or flow; only the keys given change (``present``), and a null `job_variables`
    /// changes nothing, as the reference's update leaves it.
    public static func readUpdate(_ field: JSONField, now: Timestamp) -> DeploymentCreate? {
        var known = updatable
        // (`DeploymentUpdate` has no labels: like a name or flow, they are refused as extra.)
        known.subtract(["name", "flow_id", "labels"])
        guard let r = field.model(known: known) else { return nil }
        var c = DeploymentCreate(name: "", flowId: UUID())
        c.isUpdate = true
        readFields(r, into: &c, now: now)
        if r["job_variables"].value == .null { c.present.remove("job_variables") }
        guard field.context.issues.isEmpty else { return nil }
        return c
    }

    static let updatable: Set<String> = [
        "name", "flow_id", "paused", "schedules", "concurrency_limit", "concurrency_options", "global_concurrency_limit_id",
        "enforce_parameter_schema", "parameter_openapi_schema", "parameters", "tags", "labels", "pull_steps", "work_queue_name", "work_pool_name",
        "storage_document_id", "infrastructure_document_id", "description", "path", "version", "entrypoint", "job_variables", "version_info",
        // fields of older clients the reference strips before validating (`remove_old_deployment_fields`)
        "worker_pool_queue_id", "worker_pool_name", "worker_pool_queue_name", "work_pool_queue_name",
    ]

    /// The fields a creation and an update share.
    static func readFields(_ r: ObjectReader, into c: inout DeploymentCreate, now: Timestamp) {
        if case .object(let pairs) = r.value { c.present = Set(pairs.map(\.0)) }
        c.paused = r["paused"].bool() ?? false
        // In an update, a schedule may match an existing one by slug without giving a schedule.
        let update = c.isUpdate
        c.schedules = r["schedules"].list { DeploymentScheduleInput.read($0, update: update, now: now) } ?? []
        if let limit = r["concurrency_limit"].int() {
            if limit <= 0 { r["concurrency_limit"].fail("greater_than", "Input should be greater than 0", ctx: .object([("gt", .number("0"))])) }
            c.concurrencyLimit = limit
        }
        if !r["concurrency_options"].isAbsentOrNull { c.concurrencyOptions = Self.concurrencyOptions(r["concurrency_options"]) }
        _ = r["global_concurrency_limit_id"].uuid()
        c.enforceParameterSchema = r["enforce_parameter_schema"].bool() ?? true
        // Absent: {}; null: stored as null; {}: the reference's normalised empty object schema.
        let schema = r["parameter_openapi_schema"]
        if schema.value == nil {
            c.parameterOpenapiSchema = .emptyObject
        } else if let object = schema.object() {
            c.parameterOpenapiSchema = object == .emptyObject ? Self.emptyParameterSchema : object
        }
        c.parameters = r["parameters"].object() ?? .emptyObject
        c.tags = r["tags"].tags() ?? []
        c.labels = r["labels"].labels() ?? .emptyObject
        // Absent: []; null: null, as the reference stores them.
        switch r["pull_steps"].value {
        case nil: c.pullSteps = .array([])
        case .null?: c.pullSteps = nil
        default: c.pullSteps = r["pull_steps"].list { $0.object() }.map { .array($0) }
        }
        c.workQueueName = r["work_queue_name"].string()
        c.workPoolName = r["work_pool_name"].string()
        c.storageDocumentId = r["storage_document_id"].uuid()
        c.infrastructureDocumentId = r["infrastructure_document_id"].uuid()
        c.description = r["description"].string()
        c.path = r["path"].string()
        c.version = r["version"].string()
        c.entrypoint = r["entrypoint"].string()
        c.jobVariables = r["job_variables"].isAbsentOrNull ? .emptyObject : (r["job_variables"].object() ?? .emptyObject)
    }
}

/// What a deployment with a concurrency limit does with a run over the limit (`ConcurrencyLimitStrategy`).
public enum CollisionStrategy: String, Sendable, CaseIterable {
    case ENQUEUE, CANCEL_NEW
}
