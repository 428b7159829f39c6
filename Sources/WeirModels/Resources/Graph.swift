import Foundation

/// `GET /flow_runs/{id}/graph-v2`: the run's task runs (and subflow runs) as nodes with edges from
/// their inputs, and the run's states.
public struct RunGraph: Sendable, Equatable, JSONWritable {
    /// One node.
    public struct Node: Sendable, Equatable {
        public var kind: String
        public var id: UUID
        public var label: String
        public var stateType: StateType?
        public var startTime: Timestamp
        public var endTime: Timestamp?
        public var parents: [UUID] = []
        public var children: [UUID] = []
        public var encapsulating: [UUID] = []

        /// A node without edges.
        public init(kind: String, id: UUID, label: String, stateType: StateType?, startTime: Timestamp, endTime: Timestamp?) {
            self.kind = kind
            self.id = id
            self.label = label
            self.stateType = stateType
            self.startTime = startTime
            self.endTime = endTime
        }
    }

    public var startTime: Timestamp?
    public var endTime: Timestamp?
    public var nodes: [Node]
    /// `(id, timestamp, type, name)` of each state, oldest first.
    public var states: [(UUID, Timestamp, StateType, String)]

    /// A graph.
    public init(startTime: Timestamp?, endTime: Timestamp?, nodes: [Node], states: [(UUID, Timestamp, StateType, String)]) {
        self.startTime = startTime
        self.endTime = endTime
        self.nodes = nodes
        self.states = states
    }

    /// Graphs compare by nodes and states.
    public static func == (a: RunGraph, b: RunGraph) -> Bool {
        a.startTime == b.startTime && a.endTime == b.endTime && a.nodes == b.nodes && a.states.map(\.0) == b.states.map(\.0)
    }

    /// Builds the edges: `inputs[node]` are the ids in the node's task inputs (other than
    /// `__parents__`), `parentsInputs[node]` those under `__parents__`. Ids outside the graph are dropped.
    public static func link(_ nodes: [Node], inputs: [UUID: [UUID]], parentsInputs: [UUID: [UUID]]) -> [Node] {
        let present = Set(nodes.map(\.id))
        var children: [UUID: [UUID]] = [:]
        var out = nodes
        for i in out.indices {
            var seen = Set<UUID>()
            out[i].parents = (inputs[out[i].id] ?? []).filter { present.contains($0) && seen.insert($0).inserted }
            for p in out[i].parents { children[p, default: []].append(out[i].id) }
            var seenEnc = Set<UUID>()
            out[i].encapsulating = (parentsInputs[out[i].id] ?? []).filter { present.contains($0) && seenEnc.insert($0).inserted }
        }
        for i in out.indices { out[i].children = children[out[i].id] ?? [] }
        return out
    }

    /// Writes the reference's graph shape.
    public func write(to w: inout JSONWriter) {
        func ids(_ list: [UUID]) {
            w.beginArray()
            for id in list {
                w.beginObject()
                w.key("id")
                w.uuid(id)
                w.endObject()
            }
            w.endArray()
        }
        w.beginObject()
        w.key("start_time")
        w.date(startTime)
        w.key("end_time")
        w.date(endTime)
        w.key("root_node_ids")
        w.beginArray()
        for n in nodes where n.parents.isEmpty { w.uuid(n.id) }
        w.endArray()
        w.key("nodes")
        w.beginArray()
        for n in nodes {
            w.beginArray()
            w.uuid(n.id)
            w.beginObject()
            w.key("kind")
            w.string(n.kind)
            w.key("id")
            w.uuid(n.id)
            w.key("label")
            w.string(n.label)
            w.key("state_type")
            w.string(n.stateType?.rawValue)
            w.key("start_time")
            w.date(n.startTime)
            w.key("end_time")
            w.date(n.endTime)
            w.key("parents")
            ids(n.parents)
            w.key("children")
            ids(n.children)
            w.key("encapsulating")
            ids(n.encapsulating)
            w.key("artifacts")
            w.beginArray()
            w.endArray()
            w.endObject()
            w.endArray()
        }
        w.endArray()
        w.key("artifacts")
        w.beginArray()
        w.endArray()
        w.key("states")
        w.beginArray()
        for (id, ts, type, name) in states {
            w.beginObject()
            w.key("id")
            w.uuid(id)
            w.key("timestamp")
            w.date(ts)
            w.key("type")
            w.string(type.rawValue)
            w.key("name")
            w.string(name)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}
