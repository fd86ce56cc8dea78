import Foundation

extension JSONObject {
    /// The object decoded as `T` (a `Codable` config with explicit `CodingKeys`); a missing, mistyped or
    /// null key becomes the error `problem` makes of a one-line description (`missing key hidden_size`).
    public func decode<T: Decodable>(_ type: T.Type, problem: (String) -> any Error) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(JSONValue.object(self).compactText.utf8))
        } catch let DecodingError.keyNotFound(key, _) {
            throw problem("missing key \(key.stringValue)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            throw problem("\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw problem("\(context.codingPath.map(\.stringValue).joined(separator: ".")) is null")
        }
    }
}
