/// JSON text that is already valid and compact, as stored in the database; written to responses
/// without re-parsing.
public struct RawJSON: Sendable, Equatable, JSONWritable {
    /// The JSON text.
    public var text: String

    /// Wraps stored JSON text.
    public init(_ text: String) { self.text = text }

    /// Serializes a value.
    public init(_ value: JSONValue) { self.text = value.jsonText }

    /// `{}`.
    public static let emptyObject = RawJSON("{}")

    /// Parses the text back into a value; text that is not JSON (it was valid when stored) is a
    /// ``StoredDataError``.
    public func parsed() throws(StoredDataError) -> JSONValue {
        do {
            return try JSONParser.parse(text)
        } catch {
            throw StoredDataError("stored JSON", "not JSON: \(error.message)")
        }
    }

    /// Splices the text in.
    public func write(to w: inout JSONWriter) { w.raw(text) }
}

extension JSONWriter {
    /// Writes raw JSON or `null`.
    public mutating func raw(_ r: RawJSON?) { if let r { raw(r.text) } else { null() } }
}
