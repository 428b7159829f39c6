import Foundation
import SQLKit
import WeirModels

/// Deployments: upsert by flow and name, lookup, and creating flow runs from them.
public struct DeploymentRepository: Sendable {
    let backend: any StoreBackend

    static let select = """
        SELECT deployment.*, work_queue.name AS wq_name, work_pool.name AS wp_name FROM deployment
        LEFT JOIN work_queue ON work_queue.id = deployment.work_queue_id
        LEFT JOIN work_pool ON work_pool.id = work_queue.work_pool_id
        """

    static func decode(_ r: any SQLRow) throws -> Deployment {
        Deployment(
            id: try r.uuid("id"),
            created: try r.timestamp("created"),
            updated: try r.timestamp("updated"),
            name: try r.string("name"),
            version: try r.optString("version"),
            description: try r.optString("description"),
            flowId: try r.uuid("flow_id"),
            paused: try r.bool("paused"),
            schedules: try r.json("schedules"),
            concurrencyLimit: nil,
            concurrencyOptions: try r.optJSON("concurrency_options"),
            jobVariables: try r.json("job_variables"),
            parameters: try r.json("parameters"),
            tags: try r.tags("tags"),
            labels: try r.json("labels"),
            workQueueName: try r.optString("wq_name") ?? r.optString("work_queue_name"),
            workQueueId: try r.optUUID("work_queue_id"),
            lastPolled: try r.optTimestamp("last_polled"),
            parameterOpenapiSchema: try r.optJSON("parameter_openapi_schema"),
            path: try r.optString("path"),
            pullSteps: try r.optJSON("pull_steps"),
            entrypoint: try r.optString("entrypoint"),
            storageDocumentId: try r.optUUID("storage_document_id"),
            infrastructureDocumentId: try r.optUUID("infrastructure_document_id"),
            createdBy: try r.optJSON("created_by"),
            updatedBy: try r.optJSON("updated_by"),
            workPoolName: try r.optString("wp_name"),
            status: try r.string("status"),
            enforceParameterSchema: try r.bool("enforce_parameter_schema")
        )
    }

    static func find(_ db: any SQLDatabase, _ id: UUID) async throws -> Deployment? {
        try await db.raw("\(unsafeRaw: select) WHERE deployment.id = \(bind: id.lowercased)").first().map(decode)
    }

    var compiler: FilterCompiler { FilterCompiler(dialect: backend.dialect) }

    /// Deployments matching a `POST /deployments/filter` body.
    public func filter(_ q: ReadDeploymentsQuery) async throws -> [Deployment] {
        let sql: SQLQueryString =
            "\(unsafeRaw: Self.select) WHERE \(compiler.compile(q.condition)) ORDER BY \(compiler.orderBy(q.sort.keys, now: .now())) LIMIT \(bind: q.paging.limit) OFFSET \(bind: q.paging.offset)"
        return try await backend.read { db in try await db.raw(sql).all().map(Self.decode) }
    }

    /// The deployment of a flow, by names.
    public func get(flowName: String, name: String) async throws -> Deployment? {
        try await backend.read { db in
            try await db.raw(
                "\(unsafeRaw: Self.select) JOIN flow ON flow.id = deployment.flow_id WHERE flow.name = \(bind: flowName) AND deployment.name = \(bind: name)"
            ).first().map(Self.decode)
        }
    }

    /// The deployment with this id.
    public func get(_ id: UUID) async throws -> Deployment? {
        try await backend.read { db in try await Self.find(db, id) }
    }

    /// The queue a deployment's `work_pool_name`/`work_queue_name` point at, creating the queue
    /// (and the legacy `default-agent-pool`) when the reference would.
    static func resolveQueue(_ db: any SQLDatabase, pool: String?, queue: String?, now: Timestamp) async throws -> UUID? {
        if let pool, pool != "default-agent-pool" {
            guard let p = try await WorkPoolRepository.findPool(db, name: pool) else { throw WorkPoolRepository.poolNotFound(pool) }
            guard let queue else { return p.defaultQueueId }
            return try await ensureQueue(db, pool: p, name: queue, now: now)
        }
        guard let queue else { return nil }
        let agentPool: WorkPool
        if let p = try await WorkPoolRepository.findPool(db, name: "default-agent-pool") {
            agentPool = p
        } else {
            let id = UUID()
            var cols = Columns()
            cols.set("id", id.lowercased)
            cols.set("created", now.microseconds)
            cols.set("updated", now.microseconds)
            cols.set("name", "default-agent-pool")
            cols.set("type", "prefect-agent")
            cols.set("storage_configuration", WorkPoolCreate.defaultStorageConfiguration.jsonText)
            try await db.raw(cols.insert(into: "work_pool")).run()
            var dq = WorkQueueCreate(name: "default")
            dq.description = "The work pool's default queue."
            dq.priority = 1
            let q = try await WorkPoolRepository.insertQueue(db, poolId: id, dq, now: now)
            try await db.raw("UPDATE work_pool SET default_queue_id = \(bind: q.lowercased) WHERE id = \(bind: id.lowercased)").run()
            guard let p = try await WorkPoolRepository.findPool(db, name: "default-agent-pool") else { throw StoreError.integrity }
            agentPool = p
        }
        if queue == "default" { return agentPool.defaultQueueId }
        return try await ensureQueue(db, pool: agentPool, name: queue, now: now)
    }

    static func ensureQueue(_ db: any SQLDatabase, pool: WorkPool, name: String, now: Timestamp) async throws -> UUID {
        if let row = try await db.raw("SELECT id FROM work_queue WHERE work_pool_id = \(bind: pool.id.lowercased) AND name = \(bind: name)").first() {
            return try row.uuid("id")
        }
        return try await WorkPoolRepository.insertQueue(db, poolId: pool.id, WorkQueueCreate(name: name), now: now)
    }

    /// Creates or updates (by flow and name) a deployment; `created` tells which.
    public func upsert(
        _ c: DeploymentCreate,
        createdBy: JSONValue?,
        updatedBy: JSONValue?,
        now: Timestamp = .now()
    ) async throws -> (Deployment, created: Bool) {
        try await backend.write { db in
            guard let flow = try await FlowRepository.find(db, "id = \(bind: c.flowId.lowercased)") else { throw StoreError.integrity }
            let queueId = try await Self.resolveQueue(db, pool: c.workPoolName, queue: c.workQueueName, now: now)
            let labels = JSONObjectBuilder.merge([
                try flow.labels.parsed(), .object([("prefect.flow.id", .string(c.flowId.lowercased))]), c.labels,
            ])
            let existing = try await db.raw("SELECT id FROM deployment WHERE flow_id = \(bind: c.flowId.lowercased) AND name = \(bind: c.name)")
                .first()
            let id = try existing.map { try $0.uuid("id") } ?? UUID()
            // The reference lists schedules most recently updated first: the last given first.
            // (The reference's create drops each schedule's `max_scheduled_runs`.)
            let schedules = JSONValue.array(
                c.schedules.reversed().map { s in
                    var s = s
                    s.maxScheduledRuns = nil
                    return s.stored(id: UUID(), deployment: id, now: now)
                }
            )
            if case .array(let items) = schedules { try Self.checkSlugsUnique(items) }
            var cols = Columns()
            func set(_ key: String, _ column: String? = nil, _ value: (any Encodable & Sendable)?) {
                if existing == nil || c.present.contains(key) { cols.set(column ?? key, value) }
            }
            set("version", nil, c.version)
            set("description", nil, c.description)
            set("paused", nil, c.paused ? 1 : 0)
            set("schedules", nil, schedules.jsonText)
            set("concurrency_limit", nil, c.concurrencyLimit)
            set("concurrency_options", nil, c.concurrencyOptions?.jsonText)
            set("job_variables", nil, c.jobVariables.jsonText)
            set("parameters", nil, c.parameters.jsonText)
            set("tags", nil, tagsJSON(c.tags))
            set("work_queue_name", nil, c.workQueueName)
            if existing == nil || c.present.contains("work_queue_name") || c.present.contains("work_pool_name") {
                cols.set("work_queue_id", queueId.stored)
            }
            set("parameter_openapi_schema", nil, c.parameterOpenapiSchema?.jsonText)
            set("path", nil, c.path)
            set("pull_steps", nil, c.pullSteps?.jsonText)
            set("entrypoint", nil, c.entrypoint)
            set("storage_document_id", nil, c.storageDocumentId.stored)
            set("infrastructure_document_id", nil, c.infrastructureDocumentId.stored)
            set("enforce_parameter_schema", nil, c.enforceParameterSchema ? 1 : 0)
            cols.set("labels", labels.jsonText)
            cols.set("updated", now.microseconds)
            if existing == nil {
                cols.set("id", id.lowercased)
                cols.set("created", now.microseconds)
                cols.set("name", c.name)
                cols.set("flow_id", c.flowId.lowercased)
                cols.set("created_by", createdBy?.jsonText)
                cols.set("updated_by", updatedBy?.jsonText)
                try await mapIntegrity { try await db.raw(cols.insert(into: "deployment")).run() }
            } else {
                cols.set("updated_by", updatedBy?.jsonText)
                try await mapIntegrity { try await db.raw(cols.update("deployment", id: id)).run() }
            }
            guard let d = try await Self.find(db, id) else { throw StoreError.integrity }
            return (d, existing == nil)
        }
    }

    /// The reference's parameter schema enforcement: parameters must conform to the deployment's
    /// schema (``ParameterSchema``), else 409 with `failure` and the reason; without a schema (an
    /// object) enforcement itself is a 409; a schema whose references loop is a 422.
    static func enforceSchema(_ parameters: JSONValue, schema: JSONValue?, ignoreRequired: Bool, failure: String) throws {
        guard let schema, case .object = schema else {
            throw StoreError.conflict(
                "Error updating deployment: Cannot update parameters because parameter schema enforcement is enabled and the deployment does not have a valid parameter schema."
            )
        }
        let problem: String?
        do {
            problem = try ParameterSchema.problem(parameters, schema: schema, ignoreRequired: ignoreRequired)
        } catch {
            throw StoreError.unprocessable("Invalid schema: Unable to validate schema with circular references.")
        }
        if let problem { throw StoreError.conflict("\(failure): \(problem)") }
    }

    /// Creates a flow run from a deployment (`POST /deployments/{id}/create_flow_run`).
    public func createFlowRun(
        _ deploymentId: UUID,
        _ c: FlowRunCreate,
        createdBy: JSONValue?,
        now: Timestamp = .now()
    ) async throws -> (FlowRun, created: Bool) {
        try await backend.write { db in
            guard let d = try await Self.find(db, deploymentId) else { throw StoreError.notFound("Deployment not found") }
            var run = c
            run.parameters = JSONObjectBuilder.merge([try d.parameters.parsed(), c.parameters])
            if c.enforceParameterSchema ?? d.enforceParameterSchema {
                try Self.enforceSchema(
                    run.parameters,
                    schema: try d.parameterOpenapiSchema?.parsed(),
                    ignoreRequired: false,
                    failure: "Error creating flow run"
                )
            }
            // The reference's DeploymentFlowRunCreate defaults job variables to {}, idempotency key or not.
            run.jobVariables = c.jobVariables ?? .emptyObject
            var queueId = d.workQueueId
            // The run keeps the deployment's own queue name column, not the joined queue's name.
            var queueName = try await db.raw("SELECT work_queue_name FROM deployment WHERE id = \(bind: deploymentId.lowercased)").first()?.optString(
                "work_queue_name"
            )
            if let requested = c.workQueueName {
                guard let poolName = d.workPoolName, let pool = try await WorkPoolRepository.findPool(db, name: poolName) else {
                    throw StoreError.badRequest(
                        "Cannot create flow run in work queue \(requested) because deployment \(deploymentId.lowercased) is not associated with a work pool. Please remove work_pool_name and try again."
                    )
                }
                queueId = try await Self.ensureQueue(db, pool: pool, name: requested, now: now)
                queueName = requested
            }
            if run.infrastructureDocumentId == nil { run.infrastructureDocumentId = d.infrastructureDocumentId }
            var tags = d.tags
            for t in c.tags where !tags.contains(t) { tags.append(t) }
            var seen = Set<String>()
            tags = tags.filter { seen.insert($0).inserted }
            let labels = JSONObjectBuilder.merge([
                try d.labels.parsed(),
                .object([("prefect.flow.id", .string(d.flowId.lowercased)), ("prefect.deployment.id", .string(deploymentId.lowercased))]), c.labels,
            ])
            var details = StateDetails()
            details.scheduledTime = now
            return try await FlowRunRepository.insert(
                db,
                run,
                flowId: d.flowId,
                labels: labels,
                tags: tags,
                queueId: queueId,
                workQueueName: queueName,
                deploymentId: deploymentId,
                deploymentVersion: d.version,
                createdBy: createdBy,
                defaultState: StateCreate(type: .SCHEDULED, stateDetails: details),
                now: now
            )
        }
    }
}

/// Counting, paging, deleting, pausing and resuming deployments.
extension DeploymentRepository {
    /// How many deployments match a `POST /deployments/count` body.
    public func count(_ q: ReadDeploymentsQuery) async throws -> Int {
        let sql: SQLQueryString = "SELECT count(*) AS n FROM deployment WHERE \(compiler.compile(q.condition))"
        return try await backend.read { db in try await db.raw(sql).first()?.int("n") ?? 0 }
    }

    /// One page of deployments and how many match in all (`POST /deployments/paginate`).
    public func paginate(_ q: ReadDeploymentsQuery) async throws -> (deployments: [Deployment], count: Int) {
        (try await filter(q), try await count(q))
    }

    /// Deletes a deployment with its runs that are still scheduled and have never run, and records
    /// `prefect.deployment.deleted`; false when it does not exist.
    public func delete(_ id: UUID, now: Timestamp = .now()) async throws -> Bool {
        try await backend.write { db in try await Self.delete(db, id, now: now) }
    }

    /// Deletes up to `limit` deployments matching a filter, in name order, each as ``delete(_:now:)``
    /// does (`POST /deployments/bulk_delete`); the ids deleted.
    public func bulkDelete(_ q: BulkQuery, now: Timestamp = .now()) async throws -> [UUID] {
        let select: SQLQueryString =
            "SELECT deployment.id FROM deployment WHERE \(compiler.compile(q.condition)) ORDER BY \(compiler.orderBy(DeploymentSort.NAME_ASC.keys, now: now)) LIMIT \(bind: q.limit)"
        return try await backend.write { db in
            var deleted: [UUID] = []
            for id in try await db.raw(select).all().map({ try $0.uuid("id") }) where try await Self.delete(db, id, now: now) {
                deleted.append(id)
            }
            return deleted
        }
    }

    /// One deletion inside a write transaction.
    static func delete(_ db: any SQLDatabase, _ id: UUID, now: Timestamp) async throws -> Bool {
        let sql: SQLQueryString = """
            SELECT deployment.name, flow.id AS flow_id, flow.name AS flow_name, work_queue.id AS wq_id, work_queue.name AS wq_name,
                   work_pool.id AS wp_id, work_pool.name AS wp_name, work_pool.type AS wp_type
            FROM deployment JOIN flow ON flow.id = deployment.flow_id
            LEFT JOIN work_queue ON work_queue.id = deployment.work_queue_id
            LEFT JOIN work_pool ON work_pool.id = work_queue.work_pool_id
            WHERE deployment.id = \(bind: id.lowercased)
            """
        guard let row = try await db.raw(sql).first() else { return false }
        var related: [JSONValue] = [
            .object([
                ("prefect.resource.id", .string("prefect.flow.\(try row.uuid("flow_id").lowercased)")),
                ("prefect.resource.name", .string(try row.string("flow_name"))),
                ("prefect.resource.role", .string("flow")),
            ])
        ]
        if let queueId = try row.optUUID("wq_id") {
            related.append(
                .object([
                    ("prefect.resource.id", .string("prefect.work-queue.\(queueId.lowercased)")),
                    ("prefect.resource.name", .string(try row.string("wq_name"))),
                    ("prefect.resource.role", .string("work-queue")),
                ])
            )
        }
        if let poolId = try row.optUUID("wp_id") {
            related.append(
                .object([
                    ("prefect.resource.id", .string("prefect.work-pool.\(poolId.lowercased)")),
                    ("prefect.resource.name", .string(try row.string("wp_name"))),
                    ("prefect.work-pool.type", .string(try row.string("wp_type"))),
                    ("prefect.resource.role", .string("work-pool")),
                ])
            )
        }
        try await Self.deleteScheduledRuns(db, deployment: id, autoScheduledOnly: false)
        try await db.raw("DELETE FROM deployment WHERE id = \(bind: id.lowercased)").run()
        let event = Event(
            occurred: now,
            event: "prefect.deployment.deleted",
            resource: .object([
                ("prefect.resource.id", .string("prefect.deployment.\(id.lowercased)")),
                ("prefect.resource.name", .string(try row.string("name"))),
            ]),
            related: related,
            payload: .emptyObject,
            id: UUID(),
            follows: nil,
            received: now
        )
        try await EventRepository.insert(db, [event])
        EventCollector.current?.append(event)
        return true
    }

    /// Pauses or resumes a deployment; pausing deletes its auto-scheduled runs that are still
    /// scheduled and have never run. False when it does not exist.
    public func setPaused(_ id: UUID, _ paused: Bool, now: Timestamp = .now()) async throws -> Bool {
        try await backend.write { db in
            guard try await db.raw("SELECT 1 FROM deployment WHERE id = \(bind: id.lowercased)").first() != nil else { return false }
            try await db.raw(
                "UPDATE deployment SET paused = \(bind: paused ? 1 : 0), updated = \(bind: now.microseconds) WHERE id = \(bind: id.lowercased)"
            ).run()
            if paused { try await Self.deleteScheduledRuns(db, deployment: id, autoScheduledOnly: true) }
            return true
        }
    }

    /// The reference's `_delete_scheduled_runs`: a deployment's runs in a Scheduled state (other
    /// than AwaitingConcurrencySlot) that have never run, optionally only those the scheduler made.
    static func deleteScheduledRuns(_ db: any SQLDatabase, deployment: UUID, autoScheduledOnly: Bool) async throws {
        try await db.raw(
            """
            DELETE FROM flow_run WHERE deployment_id = \(bind: deployment.lowercased) AND state_type = 'SCHEDULED'
            AND state_name != 'AwaitingConcurrencySlot' AND run_count = 0\(unsafeRaw: autoScheduledOnly ? " AND auto_scheduled = 1" : "")
            """
        ).run()
    }
}
