import LMZooCore

/// A WordPiece vocabulary chosen from a corpus by frequency (not the likelihood-driven WordPiece
/// training of Google's BERT): the five BERT special tokens, every character of the normalised corpus
/// both word-initial and as a `##` continuation (so no word of the corpus becomes `[UNK]`), then the
/// most frequent whole words (about 70% of the rest) and the most frequent `##` word endings of 2 to 6
/// characters (the remainder). Text is normalised as an uncased BERT tokenizer does (lower case, accents
/// stripped); ties break by the token's spelling, so the result depends only on the text and the size.
public enum WordPieceVocabularyBuilder {
    /// `[PAD] [UNK] [CLS] [SEP] [MASK]`, ids 0 to 4.
    public static let specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    /// The tokens of `vocab.txt`, at most `size` of them; throws when `size` cannot hold the specials and
    /// the characters of the text.
    public static func build(text: String, size: Int) throws -> [String] {
        var wordCounts: [String: Int] = [:]
        var characterCounts: [Unicode.Scalar: Int] = [:]
        for word in WordPieceNormalizer.words(normalizer.normalize(text.unicodeScalars)) {
            var spelling = ""
            spelling.unicodeScalars.append(contentsOf: word)
            wordCounts[spelling, default: 0] += 1
        }
        for (word, count) in wordCounts { for scalar in word.unicodeScalars { characterCounts[scalar, default: 0] += count } }
        let characters = byFrequency(characterCounts.map { (String($0.key), $0.value) })
        var tokens = specialTokens + characters + characters.map { "##" + $0 }
        guard tokens.count <= size else {
            throw TrainingError.badOption(name: "vocab-size", value: String(size),
                                          reason: "the corpus has \(characters.count) distinct characters; at least \(tokens.count) tokens are needed")
        }
        var seen = Set(tokens)
        let room = size - tokens.count, wordRoom = room * 7 / 10
        let words = byFrequency(wordCounts.filter { $0.key.unicodeScalars.count > 1 && $0.value > 1 }.map { ($0.key, $0.value) })
        for word in words.prefix(wordRoom) where seen.insert(word).inserted { tokens.append(word) }
        var endings: [String: Int] = [:]
        for (word, count) in wordCounts {
            let scalars = Array(word.unicodeScalars)
            guard scalars.count > 2 else { continue }
            for length in 2...min(6, scalars.count - 1) {
                var piece = "##"
                piece.unicodeScalars.append(contentsOf: scalars[(scalars.count - length)...])
                endings[piece, default: 0] += count
            }
        }
        for piece in byFrequency(endings.filter { $0.value > 1 }.map { ($0.key, $0.value) }) where tokens.count < size {
            if seen.insert(piece).inserted { tokens.append(piece) }
        }
        return tokens
    }

    /// The normalisation of the tokenizer the vocabulary is for (`do_lower_case: true`).
    public static let normalizer = WordPieceNormalizer(lowercase: true)

    /// A tokenizer over `tokens` with the plugin's `vocab.txt` + `tokenizer_config.json` semantics.
    public static func tokenizer(_ tokens: [String], maxLength: Int?) throws -> WordPieceTokenizer {
        let model = try WordPiece(tokens: tokens)
        let added = specialTokens.compactMap { name in model.ids[name].map { WordPieceAddedToken(content: name, id: $0) } }
        return WordPieceTokenizer(normalizer: normalizer, model: model, addedTokens: added, clsID: model.ids["[CLS]"],
                                  sepID: model.ids["[SEP]"], maxLength: maxLength)
    }

    /// `tokenizer_config.json` for `BertTokenizer` (uncased; `model_max_length` = `positions`).
    public static func tokenizerConfig(positions: Int) -> JSONValue {
        var entries: [(String, JSONValue)] = [("tokenizer_class", .string("BertTokenizer")), ("do_lower_case", .bool(true)),
                                              ("model_max_length", .int(positions))]
        for (key, token) in zip(["pad_token", "unk_token", "cls_token", "sep_token", "mask_token"], specialTokens) {
            entries.append((key, .string(token)))
        }
        return .object(JSONObject(entries))
    }

    /// Most frequent first, then by spelling.
    static func byFrequency(_ counts: [(String, Int)]) -> [String] {
        counts.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map(\.0)
    }
}
