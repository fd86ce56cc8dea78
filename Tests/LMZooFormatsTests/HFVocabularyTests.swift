import Foundation
import LMZooCore
import LMZooTestSupport
import Testing
@testable import LMZooFormats

@Suite struct HFVocabularyTests {
    /// A copy of a fixture directory without `tokenizer.json`, to read the older files.
    func withoutTokenizerJSON(_ fixture: String, _ body: (String) throws -> Void) throws {
        let scratch = try Fixtures.scratchDirectory("vocab")
        defer { Fixtures.removeScratch(scratch) }
        let copy = scratch + "/model"
        try FileManager.default.copyItem(atPath: Fixtures.path(fixture), toPath: copy)
        try FileManager.default.removeItem(atPath: copy + "/tokenizer.json")
        try body(copy)
    }

    @Test func gpt2VocabularyIsTheSameFromTokenizerJSONAndFromVocabPlusMerges() throws {
        let fromJSON = try HFVocabulary.read(directory: Fixtures.path("hf/gpt2-tiny"))
        #expect(fromJSON.kind == .bpe)
        #expect(fromJSON.tokens.count == 300 && fromJSON.merges.count > 0)
        #expect(fromJSON.tokens[try #require(fromJSON.id(of: "<|endoftext|>"))] == "<|endoftext|>")
        #expect(fromJSON.specialIDs == [fromJSON.id(of: "<|endoftext|>")!])
        try withoutTokenizerJSON("hf/gpt2-tiny") { directory in
            let fromFiles = try HFVocabulary.read(directory: directory)
            #expect(fromFiles.tokens == fromJSON.tokens)
            #expect(fromFiles.merges == fromJSON.merges)
        }
    }

    @Test func bertVocabularyIsTheSameFromTokenizerJSONAndFromVocabTxt() throws {
        let fromJSON = try HFVocabulary.read(directory: Fixtures.path("hf/bert-tiny"))
        #expect(fromJSON.kind == .wordPiece && fromJSON.merges.isEmpty)
        #expect(Array(fromJSON.tokens.prefix(5)) == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        try withoutTokenizerJSON("hf/bert-tiny") { directory in
            let fromFile = try HFVocabulary.read(directory: directory)
            #expect(fromFile.tokens == fromJSON.tokens)
            #expect(fromFile.specialIDs == [0, 1, 2, 3, 4])
        }
    }

    @Test func brokenVocabulariesAreRefused() throws {
        let scratch = try Fixtures.scratchDirectory("vocab-bad")
        defer { Fixtures.removeScratch(scratch) }
        try #"{"a": 0, "b": 2}"#.write(toFile: scratch + "/vocab.json", atomically: true, encoding: .utf8)
        #expect(throws: HFVocabularyError.malformed("ids are not contiguous from 0")) {
            do { _ = try HFVocabulary.read(directory: scratch) } catch let error as LocatedError { throw error.underlying }
        }
        try FileManager.default.removeItem(atPath: scratch + "/vocab.json")
        #expect(throws: HFVocabularyError.noVocabulary) {
            do { _ = try HFVocabulary.read(directory: scratch) } catch let error as LocatedError { throw error.underlying }
        }
    }
}
