import Foundation
import SQLKit
import WeirModels

/// `PATCH /deployments/{id}`.
extension DeploymentRepository {
    /// Updates the fields a `DeploymentUpdate` gives, as the reference's `update_deployment`
    /// does: the queue from `work_pool_name`/`work_queue_name`, schedules replaced when given
    /// (or, when every schedule has a slug, matched by slug), and the deployment's future
    /// auto-scheduled runs deleted. False when the deployment does not exist.
    public func update(_ id: UUID, _ c: DeploymentCreate, now: Timestamp = .now()) async throws -> Bool {
        try await backend.write { db in
            guard let existing = try await Self.find(db, id) else { return false }
            // Every update checks the parameters it leaves (given or kept) against the schema it
            // leaves, required fields aside, when enforcement is on (as the reference does).
            if c.present.contains("enforce_parameter_schema") ? c.enforceParameterSchema : existing.enforceParameterSchema {
                let parameters = c.present.contains("parameters") ? c.parameters : try existing.parameters.parsed()
                var schema = try existing.parameterOpenapiSchema?.parsed()
                if c.present.contains("parameter_openapi_schema"), let given = c.parameterOpenapiSchema, given != .emptyObject,
                    given != .null
                {
                    schema = given
                }
                try Self.enforceSchema(parameters, schema: schema, ignoreRequired: true, failure: "Error updating deployment")
            }
            var cols = Columns()
            func set(_ key: String, _ value: (any Encodable & Sendable)?) {
                if c.present.contains(key) { cols.set(key, value) }
            }
            set("version", c.version)
            set("description", c.description)
            set("paused", c.paused ? 1 : 0)
            set("concurrency_limit", c.concurrencyLimit)
            set("concurrency_options", c.concurrencyOptions?.jsonText)
            set("job_variables", c.jobVariables.jsonText)
            set("parameters", c.parameters.jsonText)
            set("tags", tagsJSON(c.tags))
            set("work_queue_name", c.workQueueName)
            set("parameter_openapi_schema", c.parameterOpenapiSchema?.jsonText)
            set("path", c.path)
            set("pull_steps", c.pullSteps?.jsonText)
            set("entrypoint", c.entrypoint)
            set("storage_document_id", c.storageDocumentId.stored)
            set("infrastructure_document_id", c.infrastructureDocumentId.stored)
            set("enforce_parameter_schema", c.enforceParameterSchema ? 1 : 0)
            if let pool = c.workPoolName {
                cols.set("work_queue_id", try await Self.resolveQueue(db, pool: pool, queue: c.workQueueName, now: now).stored)
            } else if c.present.contains("work_pool_name") {
                cols.set("work_queue_id", UUID?.none.stored)  // explicitly null: runs no longer go to a pool
            } else if let queue = c.workQueueName {
                cols.set("work_queue_id", try await Self.resolveQueue(db, pool: nil, queue: queue, now: now).stored)
            }
            if c.present.contains("schedules") {
                let schedules = try Self.updatedSchedules(existing, c.schedules, deployment: id, now: now)
                if case .array(let items) = schedules { try Self.checkSlugsUnique(items) }
                cols.set("schedules", schedules.jsonText)
            }
            cols.set("updated", now.microseconds)
            try await mapIntegrity { try await db.raw(cols.update("deployment", id: id)).run() }
            try await db.raw(
                """
                DELETE FROM flow_run WHERE deployment_id = \(bind: id.lowercased) AND state_type = 'SCHEDULED'
                AND state_name != 'AwaitingConcurrencySlot' AND run_count = 0 AND auto_scheduled = 1
                AND next_scheduled_start_time > \(bind: now.microseconds)
                """
            ).run()
            return true
        }
    }

    /// The schedules after an update that gives `requested`: when the existing and requested
    /// schedules all have slugs, those matching a slug (or `replaces`) are updated in place and
    /// the others created; otherwise all are replaced. The reference's 422s for ambiguous requests.
    /// Listed most recently updated first, as the reference lists them.
    static func updatedSchedules(_ d: Deployment, _ requested: [DeploymentScheduleInput], deployment: UUID, now: Timestamp) throws -> JSONValue {
        guard case .array(let current) = try d.schedules.parsed() else { throw StoreError.integrity }
        func slug(_ s: JSONValue) -> String? { if case .string(let v)? = s["slug"] { v } else { nil } }
        let allProvidedHaveSlugs = requested.allSatisfy { $0.slug != nil }
        let allExistingHaveSlugs = !current.isEmpty && current.allSatisfy { slug($0) != nil }
        if allProvidedHaveSlugs && allExistingHaveSlugs {
            let currentSlugs = current.compactMap(slug)
            var replaced: [String: String] = [:]
            for s in requested {
                if let old = s.replaces {
                    if replaced[old] != nil {
                        throw StoreError.unprocessable("Multiple schedules have 'replaces' targeting the same slug: \(old)")
                    }
                    replaced[old] = s.slug ?? ""
                }
            }
            var out = current
            for s in requested {
                let newSlug = s.slug ?? ""
                var target = newSlug
                if let old = s.replaces {
                    if currentSlugs.contains(newSlug), replaced[newSlug] == nil {
                        throw StoreError.unprocessable(
                            "Cannot rename schedule from '\(old)' to '\(newSlug)': a schedule with slug '\(newSlug)' already exists."
                        )
                    }
                    target = old
                }
                if let i = out.firstIndex(where: { slug($0) == target }) {
                    let updated = s.applied(to: out[i], now: now)
                    out.remove(at: i)
                    out.insert(updated, at: 0)
                } else if s.schedule != nil {
                    out.insert(s.stored(id: UUID(), deployment: deployment, now: now), at: 0)
                } else {
                    throw StoreError.unprocessable("Unable to create new deployment schedules without a schedule configuration.")
                }
            }
            return .array(out)
        }
        if !allProvidedHaveSlugs && allExistingHaveSlugs {
            throw StoreError.unprocessable("Please provide a slug for each schedule in your request to ensure schedules are updated correctly.")
        }
        // Replaced as the reference recreates them: without `max_scheduled_runs`.
        return .array(
            requested.filter { $0.schedule != nil }.reversed().map { s in
                var s = s
                s.maxScheduledRuns = nil
                return s.stored(id: UUID(), deployment: deployment, now: now)
            }
        )
    }
}
