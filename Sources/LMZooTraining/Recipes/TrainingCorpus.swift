import Foundation
import LMZooCore

/// A training text read once: its characters, and the SHA-256 of its bytes for the model card.
public struct TrainingCorpus: Sendable {
    public let path: String
    public let text: String
    public let sha256: String

    /// Reads `path` as every training corpus is read (``TextFile``); unreadable, invalid or empty text
    /// is a ``TrainingError/badCorpus(path:reason:)``.
    public init(path: String) throws {
        let data: Data, text: String
        do {
            (data, text) = try TextFile.read(path, refusingEmpty: "")
        } catch let error as LocatedError {
            throw TrainingError.badCorpus(path: path, reason: String(describing: error.underlying))
        } catch {
            throw TrainingError.badCorpus(path: path, reason: "cannot be read")
        }
        self.path = path
        self.text = text
        sha256 = data.withUnsafeBytes { SHA256.hexDigest(of: $0) }
    }

    /// The distinct characters (grapheme clusters, as the LSTM plugin splits text), sorted by their
    /// Unicode scalars: a character-level vocabulary, index = id.
    public var characterVocabulary: [String] {
        Set(text.map { String($0) }).sorted { $0.unicodeScalars.map(\.value).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }
    }

    /// The text as ids of `vocabulary` (every character must be in it).
    public func characterIDs(_ vocabulary: [String]) throws -> [Int] {
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
        return try text.map { character in
            guard let id = index[String(character)] else {
                throw TrainingError.badCorpus(path: path, reason: "character \(String(character).debugDescription) is not in the vocabulary")
            }
            return id
        }
    }
}
