/// dateutil's `rruleset._iter`: the union of the rules and RDATEs, in order, without repeats,
/// minus the EXRULEs and EXDATEs, each source pulled only when its head is used (as the
/// reference's generators are).
final class SetIterator {
    private enum Source {
        case dates([Int], Int)
        case rule(RuleIterator)
    }

    private struct Item {
        var source: Source
        var dt: Int
    }

    private var rsources: [Source]
    private var xsources: [Source]
    private var rlist: [Item] = []
    private var exlist: [Item] = []
    private var started = false
    private var lastdt: Int?
    /// The head that was yielded last; dateutil advances it when asked for the next.
    private var pendingAdvance: Int?

    init(_ set: RuleSet, rules: [RuleIterator], exrules: [RuleIterator]) {
        rsources = [.dates(set.rdates.sorted(), 0)] + rules.map { .rule($0) }
        xsources = [.dates(set.exdates.sorted(), 0)] + exrules.map { .rule($0) }
    }

    private static func pull(_ s: inout Source) throws(PyError) -> Int? {
        switch s {
        case .dates(let list, let i):
            guard i < list.count else { return nil }
            s = .dates(list, i + 1)
            return list[i]
        case .rule(let r):
            return try r.next()
        }
    }

    /// `advance_iterator(item)`: its next date, or its removal.
    private static func advance(_ list: inout [Item], _ index: Int) throws(PyError) {
        if let dt = try pull(&list[index].source) {
            list[index].dt = dt
        } else {
            list.remove(at: index)
        }
    }

    private static func minIndex(_ list: [Item]) -> Int? {
        guard !list.isEmpty else { return nil }
        var best = 0
        for i in 1..<list.count where list[i].dt < list[best].dt { best = i }
        return best
    }

    func next() throws(PyError) -> Int? {
        if !started {
            started = true
            for var s in rsources {
                if let dt = try Self.pull(&s) { rlist.append(Item(source: s, dt: dt)) }
            }
            for var s in xsources {
                if let dt = try Self.pull(&s) { exlist.append(Item(source: s, dt: dt)) }
            }
        }
        if let p = pendingAdvance {
            pendingAdvance = nil
            try Self.advance(&rlist, p)
        }
        while let r = Self.minIndex(rlist) {
            let dt = rlist[r].dt
            var result: Int?
            if lastdt != dt {
                while let e = Self.minIndex(exlist), exlist[e].dt < dt {
                    try Self.advance(&exlist, e)
                }
                if let e = Self.minIndex(exlist), exlist[e].dt == dt {
                    // excluded
                } else {
                    result = dt
                }
                lastdt = dt
            }
            if let result {
                pendingAdvance = r
                return result
            }
            try Self.advance(&rlist, r)
        }
        return nil
    }
}
