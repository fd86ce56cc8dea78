/// Text <-> token ids, as a model consumes them.
public protocol Tokenizer: Sendable {
    /// Number of ids (valid ids are `0..<vocabularySize`).
    var vocabularySize: Int { get }
    /// The id sequence for `text`, special tokens included exactly where the reference tokenizer
    /// adds them (see CLI.md).
    func encode(_ text: String) throws -> [Int]
    /// The text for `ids` (special tokens dropped where the reference does).
    func decode(_ ids: [Int]) -> String
    /// The surface form of one id, or nil when out of range.
    func token(for id: Int) -> String?
    /// The beginning-of-sequence id, if the vocabulary has one.
    var bosID: Int? { get }
    /// The end-of-sequence id, if the vocabulary has one.
    var eosID: Int? { get }
}

extension Tokenizer {
    public var bosID: Int? { nil }
    public var eosID: Int? { nil }
}
