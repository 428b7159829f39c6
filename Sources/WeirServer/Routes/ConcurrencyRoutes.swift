import Foundation
import Hummingbird
import WeirModels

/// `/v2/concurrency_limits`: the slot calls tasks with tags and deployments make. Weir has no
/// global concurrency limits yet, so there is never a limit to hold: acquiring succeeds at once
/// with an empty lease, as the reference answers when no limit matches the names.
struct ConcurrencyRoutes {
    let settings: Settings

    /// Validates `names` (non-empty) and `slots` (> 0) as the reference's bodies do.
    static func validate(_ body: RequestBody) throws {
        _ = try body.query { json -> Bool in
            let ctx = ValidationContext()
            let r = BodyReader.topLevel(json, context: ctx, fields: ["slots", "names"])
            if let slots = r.required("slots")?.int(), slots <= 0 {
                r["slots"].fail("greater_than", "Input should be greater than 0", ctx: .object([("gt", .number("0"))]))
            }
            if let names = r.required("names")?.strings(), names.isEmpty {
                r["names"].fail(
                    "too_short",
                    "List should have at least 1 item after validation, not 0",
                    ctx: .object([("field_type", .string("List")), ("min_length", .number("1")), ("actual_length", .number("0"))])
                )
            }
            try ctx.check()
            return true
        }
    }

    func register(on api: RouterGroup<WeirContext>) {
        api.post("v2/concurrency_limits/increment-with-lease") { request, _ in
            var request = request
            try Self.validate(try await RequestBody.read(&request, limits: settings.limits))
            var w = JSONWriter(capacity: 80)
            w.beginObject()
            w.key("lease_id")
            w.uuid(UUID())
            w.key("limits")
            w.beginArray()
            w.endArray()
            w.endObject()
            return jsonResponse(w.bytes)
        }
        api.post("v2/concurrency_limits/increment") { request, _ in
            var request = request
            try Self.validate(try await RequestBody.read(&request, limits: settings.limits))
            return jsonResponse(Array("[]".utf8))
        }
        api.post("v2/concurrency_limits/decrement") { request, _ in
            var request = request
            try Self.validate(try await RequestBody.read(&request, limits: settings.limits))
            return jsonResponse(Array("[]".utf8))
        }
        api.post("v2/concurrency_limits/decrement-with-lease") { _, _ in Response(status: .noContent) }
        api.post("v2/concurrency_limits/leases/:id/renew") { _, context in
            _ = try context.parameters.uuid("id")
            return Response(status: .noContent)
        }
        api.post("v2/concurrency_limits/filter") { _, _ in jsonResponse(Array("[]".utf8)) }
    }
}
