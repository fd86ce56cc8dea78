import Hummingbird
import LMZoo

/// A request's JSON object body with typed field readers; a missing or mistyped field is a 400 that
/// names it.
struct RequestJSON: Sendable {
    let value: JSONValue
    let object: JSONObject

    /// Reads the body (at most `maxBytes`: 413 above) and parses it as a JSON object.
    static func read(_ request: Request, maxBytes: Int) async throws -> RequestJSON {
        var request = request
        let buffer = try await request.collectBody(upTo: maxBytes)
        let text = String(buffer: buffer)
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw ServeError.badRequest("the body is not valid JSON: \(error)", code: "invalid_json")
        }
        guard let object = value.objectValue else { throw ServeError.badRequest("the body must be a JSON object", code: "invalid_json") }
        return RequestJSON(value: value, object: object)
    }

    /// Whether `key` is present and not null.
    func has(_ key: String) -> Bool {
        if let field = object[key], field != .null { return true }
        return false
    }

    func string(_ key: String) throws -> String? {
        guard has(key) else { return nil }
        guard let text = object[key]?.stringValue else { throw mistyped(key, "a string") }
        return text
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw missing(key) }
        return text
    }

    func int(_ key: String, default fallback: Int? = nil, range: ClosedRange<Int>) throws -> Int? {
        guard has(key) else { return fallback }
        guard let number = object[key]?.intValue else { throw mistyped(key, "an integer") }
        guard range.contains(number) else {
            throw ServeError.badRequest("'\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(number)")
        }
        return number
    }

    func double(_ key: String, default fallback: Double, range: ClosedRange<Double>) throws -> Double {
        guard has(key) else { return fallback }
        guard let number = object[key]?.doubleValue, number.isFinite else { throw mistyped(key, "a number") }
        guard range.contains(number) else {
            throw ServeError.badRequest("'\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(number)")
        }
        return number
    }

    func bool(_ key: String, default fallback: Bool = false) throws -> Bool {
        guard has(key) else { return fallback }
        guard let flag = object[key]?.boolValue else { throw mistyped(key, "true or false") }
        return flag
    }

    /// A list of token ids (`ids`), each a non-negative integer.
    func ids(_ key: String) throws -> [Int]? {
        guard has(key) else { return nil }
        guard let items = object[key]?.arrayValue else { throw mistyped(key, "a list of token ids") }
        return try items.map { item in
            guard let id = item.intValue, id >= 0 else { throw mistyped(key, "a list of token ids") }
            return id
        }
    }

    /// A string or a list of strings.
    func strings(_ key: String) throws -> [String] {
        guard has(key) else { throw missing(key) }
        if let text = object[key]?.stringValue { return [text] }
        guard let items = object[key]?.arrayValue, !items.isEmpty,
              case let texts = items.compactMap(\.stringValue), texts.count == items.count
        else { throw mistyped(key, "a string or a non-empty list of strings") }
        return texts
    }

    /// Refuses fields the server does not implement, rather than silently ignoring them.
    func refuse(_ keys: [String]) throws {
        if let given = keys.first(where: has) {
            throw ServeError.badRequest("'\(given)' is not supported by lmzoo serve", code: "unsupported_parameter")
        }
    }

    private func missing(_ key: String) -> ServeError {
        ServeError.badRequest("the field '\(key)' is required", code: "missing_field")
    }

    private func mistyped(_ key: String, _ expected: String) -> ServeError {
        ServeError.badRequest("'\(key)' must be \(expected)")
    }
}
