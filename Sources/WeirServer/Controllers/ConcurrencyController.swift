import Foundation
import Hummingbird
import WeirModels

/// `/v2/concurrency_limits`: the slot calls tasks with tags and deployments make. Weir has no
/// global concurrency limits yet, so there is never a limit to hold: acquiring succeeds at once
/// with an empty lease, as the reference answers when no limit matches the names.
struct ConcurrencyController {
    let settings: Settings

    func addRoutes(to api: RouterGroup<WeirContext>) {
        api.post("v2/concurrency_limits/increment-with-lease", use: incrementWithLease)
        api.post("v2/concurrency_limits/increment", use: incrementOrDecrement)
        api.post("v2/concurrency_limits/decrement", use: incrementOrDecrement)
        api.post("v2/concurrency_limits/decrement-with-lease", use: decrementWithLease)
        api.post("v2/concurrency_limits/leases/:id/renew", use: renewLease)
        api.post("v2/concurrency_limits/filter", use: filter)
    }

    /// `{"lease_id": ..., "limits": []}`: a lease on no limits.
    @Sendable func incrementWithLease(_ request: Request, context: WeirContext) async throws -> Response {
        try await validateSlots(request)
        return .json(JSONValue.object([("lease_id", .string(UUID().uuidString.lowercased())), ("limits", .array([]))]))
    }

    /// `[]`: no limits were taken or released.
    @Sendable func incrementOrDecrement(_ request: Request, context: WeirContext) async throws -> Response {
        try await validateSlots(request)
        return .json(JSONValue.array([]))
    }

    @Sendable func decrementWithLease(_ request: Request, context: WeirContext) async throws -> Response { .noContent }

    @Sendable func renewLease(_ request: Request, context: WeirContext) async throws -> Response {
        _ = try context.parameters.uuid("id")
        return .noContent
    }

    @Sendable func filter(_ request: Request, context: WeirContext) async throws -> Response { .json(JSONValue.array([])) }

    /// Validates `names` (non-empty) and `slots` (> 0) as the reference's bodies do.
    func validateSlots(_ request: Request) async throws {
        try await request.body(settings.limits).validate(fields: ["slots", "names"]) { r in
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
        }
    }
}
