import LMZooCore

/// Human-readable text of GGUF values, as `TensorStore.metadata` (and so `lmzoo inspect`) shows
/// them. Strings appear as themselves, numbers in decimal, booleans as `true`/`false`. Arrays of
/// up to ``GGUFValueText/fullArrayLimit`` elements are shown whole (`[1, 2, 3]`, strings quoted);
/// longer ones are summarised with their element type and length, e.g. a 50,257-token vocabulary
/// becomes `array[STRING; 50257]: ["!", "\"", "#", ...]`. Any one text stays within a few hundred
/// characters, whatever the nesting.
public enum GGUFValueText {
    /// Arrays with at most this many elements are shown in full (if they fit the text budget).
    public static let fullArrayLimit = 16
    /// Elements shown in a summarised array.
    static let summaryElements = 8
    /// Characters shown of one string inside an array.
    static let elementStringLimit = 40
    /// Soft limit on one value's text.
    static let budget = 400

    /// The text of `value`.
    public static func text(_ value: GGUFValue) -> String {
        if case let .string(text) = value { return text }
        var remaining = budget
        return render(value, remaining: &remaining)
    }

    private static func render(_ value: GGUFValue, remaining: inout Int) -> String {
        let text: String
        switch value {
        case let .uint8(v): text = String(v)
        case let .int8(v): text = String(v)
        case let .uint16(v): text = String(v)
        case let .int16(v): text = String(v)
        case let .uint32(v): text = String(v)
        case let .int32(v): text = String(v)
        case let .uint64(v): text = String(v)
        case let .int64(v): text = String(v)
        case let .float32(v): text = String(describing: v)
        case let .float64(v): text = String(describing: v)
        case let .bool(v): text = v ? "true" : "false"
        case let .string(v): text = quoted(v)
        case let .array(array): return render(array, remaining: &remaining)
        }
        remaining -= text.count
        return text
    }

    private static func render(_ array: GGUFArray, remaining: inout Int) -> String {
        let summarised = array.count > fullArrayLimit
        let shown = summarised ? summaryElements : array.count
        var parts: [String] = []
        for index in 0..<shown {
            guard remaining > 0, let element = array[index] else { break }
            parts.append(render(element, remaining: &remaining))
            remaining -= 2
        }
        let truncated = parts.count < array.count
        let body = "[" + parts.joined(separator: ", ") + (truncated ? (parts.isEmpty ? "..." : ", ...") : "") + "]"
        return truncated ? "array[\(array.elementType); \(array.count)]: " + body : body
    }

    private static func quoted(_ text: String) -> String {
        var shown = text
        if shown.count > elementStringLimit { shown = String(shown.prefix(elementStringLimit)) + "…" }
        var out = ""
        JSONValue.writeString(shown, to: &out)  // escaped as JSON strings are
        return out
    }
}
