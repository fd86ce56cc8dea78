import Foundation
import LMZoo
import LMZooGPT
import LMZooTestSupport
import Testing

/// The byte-level BPE tokenizer against Hugging Face `tokenizers` with the real GPT-2 vocabulary
/// (Tests/Fixtures/gpt2: tokenizer_text.txt, >= 10k characters of many scripts, emoji, whitespace and
/// digits; tokenizer_ids.json; the vocabulary gzipped, made by make_gpt2_fixtures.py).
@Suite struct GPTTokenizerTests {
    /// The GPT-2 vocabulary unpacked into a scratch directory (encoder.json + vocab.bpe).
    static let vocabularyDirectory: String = {
        let directory = try! Fixtures.scratchDirectory("gpt2-vocab")
        for name in ["encoder.json", "vocab.bpe"] {
            let result = try! runProcess("/bin/sh", ["-c", "gzip -dc '\(Fixtures.path("gpt2/\(name).gz"))' > '\(directory)/\(name)'"])
            precondition(result.status == 0, result.stderr)
        }
        return directory
    }()

    static func gpt2Tokenizer() throws -> ByteLevelBPETokenizer {
        try GPTTokenizerFiles.read(directory: vocabularyDirectory)
    }

    @Test func matchesHuggingFaceOnTheFixtureText() throws {
        let text = try String(contentsOfFile: Fixtures.path("gpt2/tokenizer_text.txt"), encoding: .utf8)
        #expect(text.count >= 10_000)
        let expected = try JSONFile.read(path: Fixtures.path("gpt2/tokenizer_ids.json"))["ids"]!.arrayValue!.compactMap(\.intValue)
        let tokenizer = try Self.gpt2Tokenizer()
        #expect(tokenizer.vocabularySize == 50257)
        let ids = try tokenizer.encode(text)
        if let first = zip(ids, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("first difference at id \(first): \(ids[first...].prefix(8)) vs \(expected[first...].prefix(8))")
        }
        #expect(ids == expected)
        #expect(tokenizer.decode(ids) == text)
    }

    @Test(arguments: [("Hello world", [15496, 995]), ("It's 2024!", [1026, 338, 48609, 0]),
                      ("<|endoftext|>hi", [50256, 5303]), ("  x", [220, 2124])])
    func knownEncodings(text: String, ids: [Int]) throws {
        let tokenizer = try Self.gpt2Tokenizer()
        #expect(try tokenizer.encode(text) == ids)
        #expect(tokenizer.eosID == 50256)
    }

    @Test func preTokenizerFollowsTheGPT2Pattern() {
        #expect(GPT2PreTokenizer.split("I'm here  now\n\n x's 123abc").map(String.init)
                == ["I", "'m", " here", " ", " now", "\n\n", " x", "'s", " 123", "abc"])
        #expect(GPT2PreTokenizer.split("a\n\nb").map(String.init) == ["a", "\n", "\n", "b"])
        #expect(GPT2PreTokenizer.split("a   ").map(String.init) == ["a", "   "])
        #expect(GPT2PreTokenizer.split("?!' 'll").map(String.init) == ["?!'", " '", "ll"])
    }

    @Test func readsEveryVocabularyForm() throws {
        // tokenizer.json (hf/), vocab.json + merges.txt (torch/) and GGUF arrays give one tokenizer.
        let text = "The quick brown fox, 0123456789 !?"
        let fromJSON = try GPTTokenizerFiles.read(directory: Fixtures.path("gpt2/hf"))
        let fromVocab = try GPTTokenizerFiles.read(directory: Fixtures.path("gpt2/torch"))
        let fromGGUF = try GPTTokenizerFiles.tokenizer(for: try Checkpoint.open(Fixtures.path("gpt2/tiny-f32.gguf")).modelSource)
        let ids = try fromJSON.encode(text)
        #expect(try fromVocab.encode(text) == ids)
        #expect(try fromGGUF.encode(text) == ids)
        #expect(fromGGUF.decode(ids) == text)
    }

    @Test func badVocabulariesAreTypedErrors() {
        #expect(throws: TokenizerError.self) { try ByteLevelBPETokenizer(tokens: ["a"], merges: []) }
        let bytes = ByteLevelBPETokenizer.byteToCharacter.map(String.init)
        #expect(throws: TokenizerError.self) { try ByteLevelBPETokenizer(tokens: bytes, merges: ["a zz"]) }
    }
}
