import LMZooCore

/// Learns a GPT-2 byte-level BPE vocabulary from a text (the `tokenizers` `BpeTrainer` with the
/// `ByteLevel` pre-tokenizer): the text is split by ``GPT2PreTokenizer``, each piece's UTF-8 bytes
/// become GPT-2's byte-to-unicode characters, and the most frequent adjacent pair (ties: the
/// lexicographically smallest) is merged until the vocabulary has `vocabularySize` tokens. The 256
/// byte tokens come first, the merges next, `<|endoftext|>` last, as in GPT-2's `vocab.json`.
public enum ByteLevelBPETrainer {
    public static let endOfText = "<|endoftext|>"

    /// The learnt tokens (index = id) and merges (`"left right"`, in rank order).
    public static func train(text: String, vocabularySize: Int) throws -> (tokens: [String], merges: [String]) {
        guard vocabularySize >= 257 else {
            throw TrainingError.badOption(name: "vocab-size", value: String(vocabularySize), reason: "a byte-level BPE needs at least 257 tokens")
        }
        let alphabet = ByteLevelBPETokenizer.byteToCharacter.map { String($0) }
        var tokens = alphabet.sorted { $0.unicodeScalars.first!.value < $1.unicodeScalars.first!.value }
        var idOf = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) })
        // Word types with their counts, as symbol-id sequences.
        var counts: [String: Int] = [:]
        for piece in GPT2PreTokenizer.split(text) { counts[String(piece), default: 0] += 1 }
        let byteID = alphabet.map { idOf[$0]! }
        var words: [(symbols: [Int], count: Int)] = counts.keys.sorted().map { piece in
            (piece.utf8.map { byteID[Int($0)] }, counts[piece]!)
        }
        var merges: [String] = []
        while tokens.count < vocabularySize - 1 {
            var pairs: [UInt64: Int] = [:]
            for word in words where word.symbols.count > 1 {
                for i in 0..<(word.symbols.count - 1) {
                    pairs[UInt64(word.symbols[i]) << 32 | UInt64(word.symbols[i + 1]), default: 0] += word.count
                }
            }
            var best: (key: UInt64, count: Int, text: (String, String))?
            for (key, count) in pairs {
                let text = (tokens[Int(key >> 32)], tokens[Int(key & 0xFFFF_FFFF)])
                if best == nil || count > best!.count || (count == best!.count && (text.0, text.1) < (best!.text.0, best!.text.1)) {
                    best = (key, count, text)
                }
            }
            guard let best else { break }  // every word is one token: nothing left to merge
            let (left, right) = (Int(best.key >> 32), Int(best.key & 0xFFFF_FFFF))
            let merged = best.text.0 + best.text.1
            let id: Int
            if let existing = idOf[merged] { id = existing } else {
                id = tokens.count
                tokens.append(merged)
                idOf[merged] = id
            }
            merges.append(best.text.0 + " " + best.text.1)
            for w in words.indices where words[w].symbols.count > 1 {
                var out: [Int] = []
                out.reserveCapacity(words[w].symbols.count)
                var i = 0
                let s = words[w].symbols
                while i < s.count {
                    if i + 1 < s.count, s[i] == left, s[i + 1] == right { out.append(id); i += 2 } else { out.append(s[i]); i += 1 }
                }
                words[w].symbols = out
            }
        }
        tokens.append(endOfText)
        return (tokens, merges)
    }
}
