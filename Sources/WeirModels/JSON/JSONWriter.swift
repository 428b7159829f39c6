import Foundation

/// A fast, allocation-light JSON writer for responses. Keys come out in the order written, which
/// lets every response match the reference's field order, and stored JSON text is spliced in raw.
public struct JSONWriter: Sendable {
    /// The UTF-8 output so far.
    public private(set) var bytes: [UInt8] = []
    private var needComma = false

    /// A writer with some capacity reserved.
    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    /// The output as a string.
    public var output: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always) private mutating func separator() {
        if needComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// Starts an object (as a value).
    public mutating func beginObject() {
        separator()
        bytes.append(UInt8(ascii: "{"))
        needComma = false
    }
    /// Ends the current object.
    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needComma = true
    }
    /// Starts an array (as a value).
    public mutating func beginArray() {
        separator()
        bytes.append(UInt8(ascii: "["))
        needComma = false
    }
    /// Ends the current array.
    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needComma = true
    }

    /// Writes an object key; the next call writes its value.
    public mutating func key(_ k: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needComma = false
    }

    /// Writes a dynamic object key, escaped.
    public mutating func key(_ k: String) {
        separator()
        writeEscaped(k)
        bytes.append(UInt8(ascii: ":"))
        needComma = false
    }

    /// Writes `null`.
    public mutating func null() {
        separator()
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        needComma = true
    }

    /// Writes a boolean.
    public mutating func bool(_ b: Bool) {
        separator()
        if b { bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
        needComma = true
    }

    /// Writes an integer.
    public mutating func int(_ i: Int) {
        separator()
        bytes.append(contentsOf: String(i).utf8)
        needComma = true
    }

    /// Writes a float the way Python's `repr` does (`0.0`, `1.5`, `1e-05`).
    public mutating func double(_ d: Double) {
        separator()
        if d.isFinite {
            var s = d.description
            if s.hasSuffix(".0") == false, !s.contains("."), !s.contains("e") { s += ".0" }
            bytes.append(contentsOf: s.utf8)
        } else {
            bytes.append(contentsOf: (d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity")).utf8)
        }
        needComma = true
    }

    /// Writes an escaped string.
    public mutating func string(_ s: String) {
        separator()
        writeEscaped(s)
        needComma = true
    }

    /// Opens the object of a stored resource with the fields every one starts with, in the
    /// reference's order: `{"id": ..., "created": ..., "updated": ...`.
    public mutating func beginResource(id: UUID, created: Timestamp, updated: Timestamp) {
        beginObject()
        key("id")
        uuid(id)
        key("created")
        date(created)
        key("updated")
        date(updated)
    }

    /// Writes a string or `null`.
    public mutating func string(_ s: String?) { if let s { string(s) } else { null() } }

    /// Writes a UUID in lowercase.
    public mutating func uuid(_ u: UUID) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        appendLowercaseUUID(u)
        bytes.append(UInt8(ascii: "\""))
        needComma = true
    }

    /// Writes a UUID or `null`.
    public mutating func uuid(_ u: UUID?) { if let u { uuid(u) } else { null() } }

    /// Writes a timestamp as the reference does: UTC, `Z`, microseconds only when non-zero.
    public mutating func date(_ t: Timestamp) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        t.appendISO8601(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needComma = true
    }

    /// Writes a timestamp or `null`.
    public mutating func date(_ t: Timestamp?) { if let t { date(t) } else { null() } }

    /// Splices already-serialized JSON text (as stored in the database) in as a value.
    public mutating func raw(_ json: String) {
        separator()
        bytes.append(contentsOf: json.utf8)
        needComma = true
    }

    /// Writes a ``JSONValue``.
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n):
            separator()
            bytes.append(contentsOf: n.utf8)
            needComma = true
        case .string(let s): string(s)
        case .array(let items):
            beginArray()
            for item in items { value(item) }
            endArray()
        case .object(let pairs):
            beginObject()
            for (k, item) in pairs {
                key(k)
                value(item)
            }
            endObject()
        }
    }

    /// Writes an array of strings.
    public mutating func strings(_ list: [String]) {
        beginArray()
        for s in list { string(s) }
        endArray()
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendLowercaseUUID(_ u: UUID) {
        let t = u.uuid
        withUnsafeBytes(of: t) { raw in
            for (i, b) in raw.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 { bytes.append(UInt8(ascii: "-")) }
                bytes.append(Self.hexDigits[Int(b >> 4)])
                bytes.append(Self.hexDigits[Int(b & 0x0F)])
            }
        }
    }

    private mutating func writeEscaped(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""):
                bytes.append(0x5C)
                bytes.append(0x22)
            case UInt8(ascii: "\\"):
                bytes.append(0x5C)
                bytes.append(0x5C)
            case 0x0A:
                bytes.append(0x5C)
                bytes.append(UInt8(ascii: "n"))
            case 0x0D:
                bytes.append(0x5C)
                bytes.append(UInt8(ascii: "r"))
            case 0x09:
                bytes.append(0x5C)
                bytes.append(UInt8(ascii: "t"))
            case 0x08:
                bytes.append(0x5C)
                bytes.append(UInt8(ascii: "b"))
            case 0x0C:
                bytes.append(0x5C)
                bytes.append(UInt8(ascii: "f"))
            case 0..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(Self.hexDigits[Int(b >> 4)])
                bytes.append(Self.hexDigits[Int(b & 0x0F)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// Something that writes itself as a JSON value.
public protocol JSONWritable {
    /// Writes this value at the writer's current position.
    func write(to w: inout JSONWriter)
    /// About how many bytes the value writes, to size the output buffer once.
    var jsonSizeHint: Int { get }
}

extension Array: JSONWritable where Element: JSONWritable {
    /// Writes the elements as a JSON array.
    public func write(to w: inout JSONWriter) {
        w.beginArray()
        for e in self { e.write(to: &w) }
        w.endArray()
    }

    public var jsonSizeHint: Int { 16 + reduce(0) { $0 + $1.jsonSizeHint } }
}

extension JSONWritable {
    public var jsonSizeHint: Int { 1024 }

    /// The compact JSON bytes of this value.
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter(capacity: jsonSizeHint)
        write(to: &w)
        return w.bytes
    }
}

extension JSONWriter {
    /// A float's text as Python's `repr` prints it.
    public static func pythonFloat(_ d: Double) -> String {
        var w = JSONWriter(capacity: 16)
        w.double(d)
        return w.output
    }
}

extension JSONValue: JSONWritable {
    /// Writes the document compactly.
    public func write(to w: inout JSONWriter) { w.value(self) }
}
