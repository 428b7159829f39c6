import Foundation

/// `EventFilter` (events API and the `/events/out` subscription): every part is ANDed; empty
/// lists mean no constraint. Label values are globs (`*`, `?`) and a leading `!` negates.
public struct EventFilter: Sendable, Equatable {
    public var since: Timestamp
    public var until: Timestamp
    public var prefixes: [String]?
    public var excludePrefixes: [String]?
    public var names: [String]?
    public var excludeNames: [String]?
    public var resourceIds: [String]?
    public var resourceIdPrefixes: [String]?
    public var resourceLabels: [(String, [String])]?
    /// Each element must be satisfied by one related resource.
    public var related: [RelatedFilter] = []
    /// Each element must be satisfied by some resource (primary or related).
    public var anyResource: [RelatedFilter] = []
    public var ids: [UUID]?
    public var text: TextSearchQuery?
    public var ascending = false

    /// A filter over related (or any) resources.
    public struct RelatedFilter: Sendable, Equatable {
        public var ids: [String]?
        public var idPrefixes: [String]?
        public var roles: [String]?
        public var labels: [(String, [String])]?

        public static func == (a: RelatedFilter, b: RelatedFilter) -> Bool {
            a.ids == b.ids && a.idPrefixes == b.idPrefixes && a.roles == b.roles && a.labels?.map(\.0) == b.labels?.map(\.0)
                && a.labels?.map(\.1) == b.labels?.map(\.1)
        }

        func matches(_ resource: JSONValue) -> Bool {
            let id: String = { if case .string(let s)? = resource["prefect.resource.id"] { return s } else { return "" } }()
            if let ids, !ids.isEmpty, !ids.contains(id) { return false }
            if let idPrefixes, !idPrefixes.isEmpty, !idPrefixes.contains(where: { id.hasPrefix($0) }) { return false }
            if let roles, !roles.isEmpty {
                guard case .string(let role)? = resource["prefect.resource.role"], roles.contains(role) else { return false }
            }
            if let labels, !EventFilter.labelsMatch(labels, resource) { return false }
            return true
        }
    }

    public static func == (a: EventFilter, b: EventFilter) -> Bool {
        a.since == b.since && a.until == b.until && a.prefixes == b.prefixes && a.names == b.names && a.resourceIds == b.resourceIds
            && a.related == b.related && a.ids == b.ids && a.ascending == b.ascending
    }

    /// The reference's default window: from 180 days before today's start until now.
    public static func defaultWindow(now: Timestamp) -> (Timestamp, Timestamp) {
        let day: Int64 = 86_400_000_000
        let startOfDay = Timestamp(microseconds: (now.microseconds / day) * day)
        return (Timestamp(microseconds: startOfDay.microseconds - 180 * day), now)
    }

    static func glob(_ pattern: String, _ value: String) -> Bool {
        var p = Substring(pattern)
        var negate = false
        if p.hasPrefix("!") {
            negate = true
            p = p.dropFirst()
        }
        let regex =
            "^"
            + NSRegularExpression.escapedPattern(for: String(p)).replacingOccurrences(of: "\\*", with: ".*").replacingOccurrences(
                of: "\\?",
                with: "."
            ) + "$"
        let found = value.range(of: regex, options: .regularExpression) != nil
        return negate ? !found : found
    }

    static func labelsMatch(_ labels: [(String, [String])], _ resource: JSONValue) -> Bool {
        labels.allSatisfy { key, values in
            guard case .string(let v)? = resource[key] else { return values.allSatisfy { $0.hasPrefix("!") } && !values.isEmpty }
            let positives = values.filter { !$0.hasPrefix("!") }
            let negatives = values.filter { $0.hasPrefix("!") }
            if negatives.contains(where: { !glob($0, v) }) { return false }
            return positives.isEmpty ? !values.isEmpty : positives.contains { glob($0, v) }
        }
    }

    /// Whether an event passes the filter (window included).
    public func includes(_ e: Event) -> Bool {
        if e.occurred < since || e.occurred > until { return false }
        if let prefixes, !prefixes.isEmpty, !prefixes.contains(where: { e.event.hasPrefix($0) }) { return false }
        if let excludePrefixes, excludePrefixes.contains(where: { e.event.hasPrefix($0) }) { return false }
        if let names, !names.isEmpty, !names.contains(e.event) { return false }
        if let excludeNames, excludeNames.contains(e.event) { return false }
        if let resourceIds, !resourceIds.isEmpty, !resourceIds.contains(e.resourceId) { return false }
        if let resourceIdPrefixes, !resourceIdPrefixes.isEmpty, !resourceIdPrefixes.contains(where: { e.resourceId.hasPrefix($0) }) { return false }
        if let resourceLabels, !EventFilter.labelsMatch(resourceLabels, e.resource) { return false }
        for r in related where !e.related.contains(where: { r.matches($0) }) { return false }
        for r in anyResource where !([e.resource] + e.related).contains(where: { r.matches($0) }) { return false }
        if let ids, !ids.isEmpty, !ids.contains(e.id) { return false }
        if let text {
            let haystack = (e.event + " " + e.resource.jsonText + " " + JSONValue.array(e.related).jsonText + " " + e.payload.jsonText).lowercased()
            if !text.include.isEmpty, !text.include.contains(where: { haystack.contains($0.lowercased()) }) { return false }
            if text.exclude.contains(where: { haystack.contains($0.lowercased()) }) { return false }
            if !text.required.allSatisfy({ haystack.contains($0.lowercased()) }) { return false }
        }
        return true
    }

    /// Reads an `EventFilter` (unknown keys rejected).
    public static func read(_ f: JSONField, now: Timestamp) -> EventFilter? {
        let (defaultSince, defaultUntil) = defaultWindow(now: now)
        var filter = EventFilter(since: defaultSince, until: defaultUntil)
        if f.isAbsentOrNull { return filter }
        guard let r = f.model(known: ["occurred", "event", "resource", "related", "any_resource", "id", "text", "order"]) else { return nil }
        if let o = r["occurred"].isAbsentOrNull ? nil : r["occurred"].model(known: ["since", "until"]) {
            if let s = o["since"].timestamp() { filter.since = s }
            if let u = o["until"].timestamp() { filter.until = u }
        }
        if let ev = r["event"].isAbsentOrNull ? nil : r["event"].model(known: ["prefix", "exclude_prefix", "name", "exclude_name"]) {
            filter.prefixes = optionalStrings(ev["prefix"])
            filter.excludePrefixes = optionalStrings(ev["exclude_prefix"])
            filter.names = optionalStrings(ev["name"])
            filter.excludeNames = optionalStrings(ev["exclude_name"])
        }
        if let res = r["resource"].isAbsentOrNull ? nil : r["resource"].model(known: ["id", "id_prefix", "labels", "distinct"]) {
            filter.resourceIds = optionalStrings(res["id"])
            filter.resourceIdPrefixes = optionalStrings(res["id_prefix"])
            filter.resourceLabels = labels(res["labels"])
            if !res["distinct"].isAbsentOrNull { _ = res["distinct"].bool() }
        }
        filter.related = relatedList(r["related"], roles: true) ?? []
        filter.anyResource = relatedList(r["any_resource"], roles: false) ?? []
        if let idf = r["id"].isAbsentOrNull ? nil : r["id"].model(known: ["id"]) { filter.ids = idf["id"].isAbsentOrNull ? nil : idf["id"].uuids() }
        if let t = r["text"].isAbsentOrNull ? nil : r["text"].model(known: ["query"]), let q = t.required("query")?.string() {
            filter.text = TextSearchQuery(q)
        }
        if !r["order"].isAbsentOrNull {
            let o = r["order"]
            if case .string(let s)? = o.value, s == "ASC" || s == "DESC" {
                filter.ascending = s == "ASC"
            } else {
                o.fail("enum", "Input should be 'ASC' or 'DESC'", ctx: .object([("expected", .string("'ASC' or 'DESC'"))]))
            }
        }
        return f.context.issues.isEmpty ? filter : nil
    }

    /// An `Optional[list[str]]` criterion: absent and null both mean no criterion (the SDK
    /// sends every unset one as null).
    static func optionalStrings(_ f: JSONField) -> [String]? { f.isAbsentOrNull ? nil : f.strings() }

    static func labels(_ f: JSONField) -> [(String, [String])]? {
        guard !f.isAbsentOrNull, case .object(let pairs)? = f.object() else { return nil }
        return pairs.map { k, v in
            switch v {
            case .string(let s): return (k, [s])
            case .array(let items): return (k, items.compactMap { if case .string(let s) = $0 { return s } else { return nil } })
            default: return (k, [])
            }
        }
    }

    static func relatedList(_ f: JSONField, roles: Bool) -> [RelatedFilter]? {
        guard !f.isAbsentOrNull, let value = f.value else { return nil }
        let items: [JSONValue]
        if case .array(let list) = value { items = list } else { items = [value] }
        return items.enumerated().compactMap { i, item in
            let field = JSONField(value: item, loc: f.loc + (value == item ? [] : [.index(i)]), context: f.context)
            guard let r = field.model(known: roles ? ["id", "role", "resources_in_roles", "labels"] : ["id", "id_prefix", "labels"]) else {
                return nil
            }
            var labels = self.labels(r["labels"])
            var roleList = roles ? optionalStrings(r["role"]) : nil
            if let l = labels, let i = l.firstIndex(where: { $0.0 == "prefect.resource.role" }) {
                roleList = (roleList ?? []) + l[i].1
                labels?.remove(at: i)
            }
            return RelatedFilter(
                ids: optionalStrings(r["id"]),
                idPrefixes: roles ? nil : optionalStrings(r["id_prefix"]),
                roles: roleList,
                labels: labels
            )
        }
    }
}
