/// Turns generated ids into text as it becomes printable: a token that ends inside a UTF-8 sequence
/// (the decoded text ends in U+FFFD) waits for the next one. The pieces joined equal the decoded
/// continuation. Shared by `lmzoo generate`'s streamed output and `lmzoo serve`'s server-sent events.
public struct IncrementalDetokenizer {
    private let tokenizer: any Tokenizer
    private let prompt: [Int]
    private var newIDs: [Int] = []
    /// The text given out so far, the decoded prompt included.
    public private(set) var printed: String

    /// Starts after `prompt`, whose decoded text counts as already printed.
    public init(tokenizer: any Tokenizer, prompt: [Int]) {
        self.tokenizer = tokenizer
        self.prompt = prompt
        printed = tokenizer.decode(prompt)
    }

    /// The decoded prompt (what ``printed`` starts with).
    public var promptText: String { tokenizer.decode(prompt) }

    /// Adds a new id; returns the text that became printable (may be empty).
    public mutating func append(_ id: Int) -> String {
        newIDs.append(id)
        let text = tokenizer.decode(prompt + newIDs)
        guard !text.hasSuffix("\u{FFFD}"), text.hasPrefix(printed) else { return "" }
        let piece = String(text.dropFirst(printed.count))
        printed = text
        return piece
    }

    /// The rest once generation ended with `ids` (prompt + new): what ``append(_:)`` held back.
    public mutating func finish(ids: [Int]) -> String {
        let text = tokenizer.decode(ids)
        guard text.hasPrefix(printed) else { return "" }
        let piece = String(text.dropFirst(printed.count))
        printed = text
        return piece
    }
}
