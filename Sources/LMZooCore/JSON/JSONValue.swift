/// A JSON document as parsed by ``JSONParser``: objects keep their key order, numbers keep their
/// literal text so that 64-bit integers (offsets, sizes) are read exactly.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number, as its literal text (e.g. `"12"`, `"-1.5e3"`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A number from an integer.
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    /// A number from a double; non-finite values become `null` (JSON has no NaN/Inf).
    public static func double(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number("\(value)")
    }

    /// The string, if this is a string.
    public var stringValue: String? { if case let .string(s) = self { s } else { nil } }
    /// The object, if this is an object.
    public var objectValue: JSONObject? { if case let .object(o) = self { o } else { nil } }
    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? { if case let .array(a) = self { a } else { nil } }
    /// The boolean, if this is a boolean.
    public var boolValue: Bool? { if case let .bool(b) = self { b } else { nil } }

    /// The value as an exact `Int`: only for integer literals (no fraction or exponent) in range.
    public var intValue: Int? {
        guard case let .number(text) = self else { return nil }
        return Int(text)
    }

    /// The value as a `Double`, if this is a number.
    public var doubleValue: Double? {
        guard case let .number(text) = self else { return nil }
        return Double(text)
    }

    /// Member `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> JSONValue? { objectValue?[key] }
}

/// A JSON object with its keys in document order. Keys are unique (the parser rejects duplicates).
public struct JSONObject: Equatable, Sendable {
    /// Keys in document order.
    public private(set) var keys: [String] = []
    private var values: [String: JSONValue] = [:]

    /// An empty object.
    public init() {}

    /// An object from ordered pairs (later duplicates replace earlier values).
    public init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The value for `key`; setting appends new keys at the end and replaces existing ones in place.
    public subscript(key: String) -> JSONValue? {
        get { values[key] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// `(key, value)` pairs in order.
    public var entries: [(key: String, value: JSONValue)] { keys.map { ($0, values[$0]!) } }

    /// Number of members.
    public var count: Int { keys.count }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}
