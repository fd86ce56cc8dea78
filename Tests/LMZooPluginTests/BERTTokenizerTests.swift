import Foundation
import LMZoo
import LMZooBERT
import LMZooTestSupport
import Testing

/// The WordPiece tokenizer against Hugging Face `tokenizers` (Tests/Fixtures/bert, made by
/// Tests/Fixtures/make_bert_fixtures.py): identical ids on an 11k-character text for four normalizer
/// settings, the character classes of every Unicode scalar, pairs with token types and truncation.
@Suite struct BERTTokenizerTests {
    static let expected: JSONValue = try! JSONFile.read(path: Fixtures.path("bert/tokenizer_expected.json"))
    /// The parity text, one JSON string per line (control characters and line separators kept).
    static let lines: [String] = {
        let text = try! String(contentsOfFile: Fixtures.path("bert/tokenizer_text.txt"), encoding: .utf8)
        return text.split(separator: "\n").map { try! JSONParser.parse(String($0)).stringValue! }
    }()

    /// A scratch model directory with the fixture vocabulary and `config` as tokenizer_config.json.
    static func tokenizer(config: String) throws -> WordPieceTokenizer {
        let directory = try Fixtures.scratchDirectory("wordpiece")
        defer { Fixtures.removeScratch(directory) }
        try FileManager.default.copyItem(atPath: Fixtures.path("bert/vocab.txt"), toPath: directory + "/vocab.txt")
        try config.write(toFile: directory + "/tokenizer_config.json", atomically: true, encoding: .utf8)
        return try BERTPlugin.tokenizer(directory: directory)
    }

    static func config(for setting: JSONValue) -> String {
        let strip = setting["strip_accents"]?.boolValue.map { String($0) } ?? "null"
        return "{\"do_lower_case\": \(setting["lowercase"]!.boolValue!), \"strip_accents\": \(strip), "
            + "\"tokenize_chinese_chars\": \(setting["handle_chinese_chars"]!.boolValue!)}"
    }

    @Test func textIsLongAndVaried() {
        let text = Self.lines.joined(separator: "\n")
        #expect(text.count >= 10_000)
        #expect(text.unicodeScalars.contains { $0.value == 0 } && text.contains("東京") && text.contains("é"))
    }

    @Test(arguments: 0..<4) func idsMatchTokenizers(setting index: Int) throws {
        let setting = try #require(Self.expected["settings"]?.arrayValue?[index])
        let tokenizer = try Self.tokenizer(config: Self.config(for: setting))
        let expected = try #require(setting["ids"]?.arrayValue).map { $0.arrayValue!.map { $0.intValue! } }
        #expect(expected.count == Self.lines.count)
        var mismatches = 0
        for (line, want) in zip(Self.lines, expected) {
            let got = try tokenizer.encode(line)
            if got != want {
                mismatches += 1
                if mismatches <= 3 { Issue.record("\(setting["name"]!.stringValue!): \(line.debugDescription)\n got \(got)\nwant \(want)") }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func vocabTxtWithoutConfigIsUncased() throws {
        let tokenizer = try BERTPlugin.tokenizer(directory: Fixtures.path("bert"))
        let want = Self.expected["settings"]?.arrayValue?.first?["ids"]?.arrayValue?.first?.arrayValue?.map { $0.intValue! }
        #expect(try tokenizer.encode(Self.lines[0]) == want)
    }

    /// Every Unicode scalar classed as tokenizers classes it (removed, whitespace, CJK, punctuation, mark).
    @Test func everyScalarIsClassedAsTokenizersDoes() throws {
        let classes = try JSONFile.read(path: Fixtures.path("bert/unicode_classes.json"))
        func set(_ name: String) -> Set<UInt32> {
            var out = Set<UInt32>()
            for range in classes[name]?.arrayValue ?? [] {
                let bounds = range.arrayValue!.map { UInt32($0.intValue!) }
                for v in bounds[0]...bounds[1] { out.insert(v) }
            }
            return out
        }
        let removed = set("removed"), whitespace = set("whitespace"), chinese = set("chinese")
        let punctuation = set("punctuation"), mark = set("mark")
        let clean = WordPieceNormalizer(cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false)
        let cjk = WordPieceNormalizer(cleanText: false, handleChineseChars: true, stripAccents: false, lowercase: false)
        let strip = WordPieceNormalizer(cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false)
        var wrong: [String] = []
        for value in UInt32(0)..<0x110000 {
            guard let s = Unicode.Scalar(value) else { continue }
            let cleaned = clean.normalize(["a", s, "b"])
            let isRemoved = cleaned == ["a", "b"], isSpace = s != " " && cleaned == ["a", " ", "b"]
            let isChinese = cjk.normalize([s]) == [" ", s, " "]
            let words = WordPieceNormalizer.words(["a", s, "b"])
            let isPunctuation = words.count == 3 && Array(words[1]) == [s]
            let isMark = strip.normalize([s]).isEmpty
            if isRemoved != removed.contains(value) || isSpace != whitespace.contains(value) || isChinese != chinese.contains(value)
                || isPunctuation != punctuation.contains(value) || isMark != mark.contains(value) {
                wrong.append(String(value, radix: 16))
            }
        }
        #expect(wrong.isEmpty, "scalars classed differently: \(wrong.prefix(20))")
    }

    @Test func pairsHaveTokenTypesAndLongestFirstTruncation() throws {
        let tokenizer = try BERTPlugin.tokenizer(directory: Fixtures.path("bert"))
        for pair in Self.expected["pairs"]?.arrayValue ?? [] {
            let encoding = tokenizer.encode(pair["a"]!.stringValue!, pair: pair["b"]!.stringValue!, maxLength: pair["max_length"]!.intValue!)
            #expect(encoding.ids == pair["ids"]!.arrayValue!.map { $0.intValue! }, "\(pair["a"]!.stringValue!)")
            #expect(encoding.typeIDs == pair["token_type_ids"]!.arrayValue!.map { $0.intValue! })
        }
        let single = try #require(Self.expected["truncated_single"])
        #expect(tokenizer.encode(single["text"]!.stringValue!, pair: nil, maxLength: single["max_length"]!.intValue!).ids
                == single["ids"]!.arrayValue!.map { $0.intValue! })
    }

    @Test func specialTokensInTextAndDecoding() throws {
        let tokenizer = try BERTPlugin.tokenizer(directory: Fixtures.path("bert"))
        let ids = try tokenizer.encode("Paris is the [MASK] of France.")
        let mask = try #require(tokenizer.maskID)
        #expect(ids.first == tokenizer.clsID && ids.last == tokenizer.sepID && ids.contains(mask))
        #expect(tokenizer.decode(try tokenizer.encode("Hello, world! Don't panic.")) == "hello, world! don't panic.")
        #expect(tokenizer.decode(try tokenizer.encode("unbelievably")) == "unbelievably")
    }

    @Test func missingUnknownTokenIsAnError() throws {
        #expect(throws: WordPieceError.missingToken("[UNK]")) { try WordPiece(tokens: ["a", "b"]) }
    }
}
