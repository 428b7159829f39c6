import Foundation

/// A flow: the named unit of work that runs belong to.
public struct Flow: Sendable, Equatable, JSONWritable {
    public var id: UUID
    public var created: Timestamp
    public var updated: Timestamp
    public var name: String
    public var tags: [String]
    public var labels: RawJSON

    /// A flow with every field given.
    public init(id: UUID, created: Timestamp, updated: Timestamp, name: String, tags: [String], labels: RawJSON) {
        self.id = id
        self.created = created
        self.updated = updated
        self.name = name
        self.tags = tags
        self.labels = labels
    }

    /// Writes the reference's `Flow` response.
    public func write(to w: inout JSONWriter) {
        w.beginResource(id: id, created: created, updated: updated)
        w.key("name")
        w.string(name)
        w.key("tags")
        w.strings(tags)
        w.key("labels")
        labels.write(to: &w)
        w.endObject()
    }
}

/// `POST /flows/` body (`FlowCreate`).
public struct FlowCreate: Sendable, Equatable {
    public var name: String
    public var tags: [String]
    public var labels: JSONValue

    /// A flow creation request.
    public init(name: String, tags: [String] = [], labels: JSONValue = .emptyObject) {
        self.name = name
        self.tags = tags
        self.labels = labels
    }

    /// Reads and validates the body.
    public static func read(_ field: JSONField) -> FlowCreate? {
        guard let r = field.model(known: ["name", "tags", "labels"]) else { return nil }
        let name = r.required("name")?.name()
        let tags = r["tags"].tags() ?? []
        let labels = r["labels"].labels() ?? .emptyObject
        guard let name, field.context.issues.isEmpty else { return nil }
        return FlowCreate(name: name, tags: tags, labels: labels)
    }
}
