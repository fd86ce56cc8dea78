import Foundation
import Testing
@testable import LMZooCore

/// Bits per byte's one definition (``ScoreResult``) and the open-vocabulary spelling model.
@Suite struct ScoreResultTests {
    /// Letters a, b, c and `<unk>`: a character vocabulary closed by an unknown token.
    struct OpenLetters: OpenVocabularyTokenizer {
        let symbols = ["a", "b", "c", "<unk>"]
        var vocabularySize: Int { 4 }
        var unknownID: Int? { 3 }
        var bosID: Int? { 0 }
        var spelling: SpellingModel { SpellingModel(spellings: ["a", "b", "c"]) }
        func encode(_ text: String) throws -> [Int] { try encodeMarkingUnknown(text).ids }
        func encodeMarkingUnknown(_ text: String) throws -> (ids: [Int], unknown: [String?]) {
            let pieces = text.map(String.init)
            return (pieces.map { symbols.firstIndex(of: $0) ?? 3 }, pieces.map { symbols.contains($0) ? nil : $0 })
        }
        func decode(_ ids: [Int]) -> String { ids.map { symbols[$0] }.joined() }
        func token(for id: Int) -> String? { symbols.indices.contains(id) ? symbols[id] : nil }
    }

    /// Every next token equally likely (1/4).
    final class Uniform: LanguageModel {
        let architecture = "uniform"
        let tokenizer: any Tokenizer = OpenLetters()
        var parameterCount: Int { 0 }
        func nextTokenLogProbs(context: [Int]) throws -> [Float] { [Float](repeating: Float(log(0.25)), count: 4) }
    }

    @Test func nothingScoredHasNoBitsPerByteOrPerplexity() {
        let empty = ScoreResult(perToken: [], utf8Bytes: 1)
        #expect(empty.bitsPerByte == nil && empty.perplexity == nil)
    }

    @Test func theFirstTokenWithoutBOSIsNotCountedInTheBytes() throws {
        let model = Uniform()
        let single = try model.score(text: "a", bos: false)
        #expect(single.tokenCount == 0 && single.utf8Bytes == 0 && single.bitsPerByte == nil)
        let fromBOS = try model.score(text: "ab", bos: true)
        #expect(fromBOS.tokenCount == 2 && fromBOS.utf8Bytes == 2)
        #expect(abs(fromBOS.bitsPerByte! - 2) < 1e-6)  // log2(4) bits per one-byte token
    }

    @Test func unknownPiecesAreCountedAndTheirSpellingCharged() throws {
        let model = Uniform()
        let result = try model.score(text: "azé", bos: true)
        #expect(result.oovCount == 2 && abs(result.oovRate! - 2.0 / 3) < 1e-12)
        let spelling = SpellingModel(spellings: ["a", "b", "c"])
        #expect(abs(result.spellingLogProb - (spelling.logProb(of: "z") + spelling.logProb(of: "é"))) < 1e-12)
        let bits = -(result.logProb + result.spellingLogProb) / log(2) / 4  // "é" is 2 bytes
        #expect(abs(result.bitsPerByte! - bits) < 1e-12)
        // Without BOS the unknown first piece is context: neither counted nor charged.
        let noBOS = try model.score(text: "za", bos: false)
        #expect(noBOS.oovCount == 0 && noBOS.spellingLogProb == 0 && noBOS.utf8Bytes == 1)
    }

    @Test func anEmptyVocabularySpellsEveryByteUniformly() {
        let spelling = SpellingModel(spellings: [String]())
        #expect(spelling.logProbs.allSatisfy { abs($0 - log(1.0 / 257)) < 1e-12 })
        #expect(abs(spelling.logProb(of: "xyz") - 4 * log(1.0 / 257)) < 1e-12)  // three bytes and the end
        // Add-one over 257 symbols: "ab" seen once each, with 2 ends, out of 4 + 257.
        let two = SpellingModel(spellings: ["a", "b"])
        #expect(abs(two.logProb(of: "a") - (log(2.0 / 261) + log(3.0 / 261))) < 1e-12)
    }

    @Test func piecesOfOneTextAddUp() {
        let a = ScoreResult(perToken: [-1, -2], utf8Bytes: 3, oovCount: 1, spellingLogProb: -5)
        let b = ScoreResult(perToken: [-3], utf8Bytes: 2, oovCount: 0, spellingLogProb: 0)
        let both = ScoreResult(concatenating: [a, b])
        #expect(both == ScoreResult(perToken: [-1, -2, -3], utf8Bytes: 5, oovCount: 1, spellingLogProb: -5))
        #expect(ScoreResult(concatenating: [ScoreResult(perToken: [-1], utf8Bytes: 1)]).oovCount == nil)
    }
}
