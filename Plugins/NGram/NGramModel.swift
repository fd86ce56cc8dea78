// NGramModel.swift: a back-off n-gram language model (ARPA), scoring exactly as KenLM.
//
// Reference: KenLM, https://github.com/kpu/kenlm: `lm/read_arpa.cc` (ARPA parsing), `lm/model.cc`
// and `lm/search_hashed.cc` (the PROBING model: hashed n-grams, `FullScore`, begin-sentence state),
// the `kenlm` Python module's `Model.score(sentence, bos=True, eos=True)`, and `lmplz`
// (`lm/builder/`) for the estimator in KneserNey.swift.
import Foundation
import LMZooCore

/// Whitespace word tokenizer over an n-gram model's vocabulary: a word the model does not know
/// becomes `<unk>`. `encode` adds no `<s>`/`</s>`; `decode` drops them.
public struct NGramTokenizer: Tokenizer, @unchecked Sendable {
    let vocabulary: Vocabulary
    let index: VocabularyIndex

    init(vocabulary: Vocabulary, index: VocabularyIndex) {
        self.vocabulary = vocabulary
        self.index = index
    }

    public var vocabularySize: Int { vocabulary.count }
    public var bosID: Int? { vocabulary.beginID >= 0 ? vocabulary.beginID : nil }
    public var eosID: Int? { vocabulary.endID >= 0 ? vocabulary.endID : nil }

    public func encode(_ text: String) throws -> [Int] {
        var text = text
        return text.withUTF8 { bytes in
            var ids: [Int] = []
            guard let base = bytes.baseAddress else { return ids }
            var fields = FieldCursor(ByteSpan(base: base, count: bytes.count))
            while let word = fields.nextWord() { ids.append(index.id(of: word.buffer) ?? vocabulary.unknownID) }
            return ids
        }
    }

    public func decode(_ ids: [Int]) -> String {
        ids.filter { $0 != vocabulary.beginID && $0 != vocabulary.endID && $0 >= 0 && $0 < vocabulary.count }
            .map { vocabulary.word($0) }.joined(separator: " ")
    }

    public func token(for id: Int) -> String? {
        id >= 0 && id < vocabulary.count ? vocabulary.word(id) : nil
    }
}

extension FieldCursor {
    /// The next word: fields separated by ASCII white space, newlines included (as Python's `bytes.split()`).
    @inline(__always)
    mutating func nextWord() -> ByteSpan? { next() }
}

/// A back-off n-gram model (ARPA semantics, log10 parameters) with KenLM-exact scoring.
///
/// - ``score(text:bos:)``: each line of the text is one sentence scored as KenLM's
///   `score(line, bos=True, eos=True)` (`<s>` context, `</s>` scored; a final line break does not
///   start another sentence); unknown words score as `<unk>`.
/// - ``score(ids:bos:)``, ``tokenLogProbs(_:)``: the ids follow `<s>` (a leading `<s>` id is taken
///   as that context, not scored); no `</s>` is added.
/// - ``nextTokenLogProbs(context:)``: the distribution over the whole vocabulary after `<s>` +
///   context; `<s>` itself has probability 0 (it is never predicted).
public final class NGramModel: LanguageModel, Generating, @unchecked Sendable {
    public let architecture = "ngram"
    let tables: NGramTables
    let scorer: NGramScorer
    private let ngramTokenizer: NGramTokenizer
    private let index: VocabularyIndex
    /// Spells the words the model does not know (see ``score(text:bos:)``).
    let spelling: SpellingModel

    static let ln10 = 2.302585092994046

    init(tables: NGramTables) {
        self.tables = tables
        scorer = NGramScorer(tables)
        index = VocabularyIndex(tables.vocabulary)
        ngramTokenizer = NGramTokenizer(vocabulary: tables.vocabulary, index: index)
        spelling = Self.spellingModel(tables.vocabulary)
    }

    /// The byte unigram spelling model of the vocabulary's words (`<s>`, `</s>`, `<unk>` left out).
    static func spellingModel(_ vocabulary: Vocabulary) -> SpellingModel {
        let specials = Set([vocabulary.unknownID, vocabulary.beginID, vocabulary.endID])
        return SpellingModel(byteSpellings: (0..<vocabulary.count).lazy.filter { !specials.contains($0) }
            .map { id in vocabulary.withWordBytes(id) { Array($0) } })
    }

    /// Opens an ARPA file (`.arpa` or gzip).
    public convenience init(arpaPath: String) throws {
        self.init(tables: try ARPAReader.read(path: arpaPath))
    }

    /// The model's order N.
    public var order: Int { tables.order }
    /// Entries per order (the `\data\` counts).
    public var counts: [Int] { tables.counts }

    public var tokenizer: any Tokenizer { ngramTokenizer }
    public var parameterCount: Int { NGramTables.parameterCount(counts: tables.counts) }
    public var scoresFirstToken: Bool { true }

    /// Writes the model as ARPA text (atomically), gzip-compressed at zlib `gzipLevel` (1 fastest ... 9
    /// smallest) when `path` ends in `.gz`.
    public func writeARPA(to path: String, gzipLevel: Int32 = 9) throws { try ARPAWriter.write(tables, to: path, gzipLevel: gzipLevel) }

    /// The log10 probability of `sentence` as KenLM's `Model.score(sentence, bos:, eos:)`.
    public func log10Score(sentence: String, bos: Bool = true, eos: Bool = true) -> Double {
        var total = 0.0
        var text = sentence
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else {
                if eos { total = Double(scoreSentence(words: nil, bos: bos, eos: true) { _ in }) }
                return
            }
            total = Double(scoreSentence(words: ByteSpan(base: base, count: bytes.count), bos: bos, eos: eos) { _ in })
        }
        return total
    }

    /// Scores the words of `words` (nil: none) as one sentence; reports each token's log10 probability,
    /// and each word the vocabulary lacks (scored as `<unk>`) to `unknown`.
    @inline(__always)
    private func scoreSentence(words: ByteSpan?, bos: Bool, eos: Bool, each: (Float) -> Void,
                               unknown: (ByteSpan) -> Void = { _ in }) -> Float {
        var state = bos ? scorer.beginState() : NGramScorer.State(capacity: scorer.order)
        var total: Float = 0
        let index = self.index
        let unknownID = scorer.unknownID
        let end = scorer.endID
        if let words {
            var fields = FieldCursor(words)
            while let word = fields.nextWord() {
                let known = index.id(of: word.buffer).map { UInt32($0) }
                if known == nil { unknown(word) }
                let p = scorer.score(known ?? unknownID, &state)
                total += p
                each(p)
            }
        }
        if eos {
            let p = scorer.score(end, &state)
            total += p
            each(p)
        }
        return total
    }

    /// Scores each line as a sentence (see the type's comment): `logprob` is KenLM's, an unknown word
    /// scoring as `<unk>`. Each unknown word is also counted (``ScoreResult/oovCount``) and its spelling
    /// charged to ``ScoreResult/spellingLogProb`` (the vocabulary's byte unigram ``SpellingModel``), so
    /// that bits per byte pays for every byte of the text. `<s>` is always the context (`bos` is moot).
    public func score(text: String, bos: Bool) throws -> ScoreResult {
        var perToken: [Double] = []
        var oov = 0, spellingLogProb = 0.0
        var text = text
        let utf8Count = text.utf8.count
        let spelling = self.spelling
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            perToken.reserveCapacity(bytes.count / 4 + 16)
            var lines = LineCursor(UnsafeRawBufferPointer(bytes))
            while let line = lines.next() {
                _ = scoreSentence(words: line, bos: true, eos: true, each: { perToken.append(Double($0) * NGramModel.ln10) },
                                  unknown: { oov += 1; spellingLogProb += spelling.logProb(ofBytes: $0.buffer) })
            }
            _ = base
        }
        return ScoreResult(perToken: perToken, utf8Bytes: utf8Count, oovCount: oov, spellingLogProb: spellingLogProb)
    }

    public func tokenLogProbs(_ ids: [Int]) throws -> [Double] {
        try checkIDs(ids)
        var state = scorer.beginState()
        var result: [Double] = []
        result.reserveCapacity(ids.count)
        for (position, id) in ids.enumerated() {
            if position == 0 && id == tables.vocabulary.beginID { continue }
            result.append(Double(scorer.score(UInt32(id), &state)) * NGramModel.ln10)
        }
        return result
    }

    /// The ids after `<s>`; `<unk>` ids count as OOV (their spellings are not known: no charge).
    public func score(ids: [Int], bos: Bool) throws -> ScoreResult {
        let perToken = try tokenLogProbs(ids)
        let scored = ids.count == perToken.count ? ids[...] : ids.dropFirst()
        return ScoreResult(perToken: perToken, utf8Bytes: nil, oovCount: scored.filter { $0 == tables.vocabulary.unknownID }.count)
    }

    /// The state after `<s>` and `context` (a leading `<s>` id is the same `<s>`).
    private func state(after context: [Int]) throws -> NGramScorer.State {
        try checkIDs(context)
        var state = scorer.beginState()
        for (position, id) in context.enumerated() where !(position == 0 && id == tables.vocabulary.beginID) {
            _ = scorer.score(UInt32(id), &state)
        }
        return state
    }

    public func nextTokenLogProbs(context: [Int]) throws -> [Float] {
        let state = try state(after: context)
        let size = tables.vocabulary.count
        var out = [Float](repeating: 0, count: size)
        for id in 0..<size {
            out[id] = Float(Double(scorer.probability(of: UInt32(id), given: state)) * NGramModel.ln10)
        }
        if tables.vocabulary.beginID >= 0 { out[tables.vocabulary.beginID] = -.infinity }
        return out
    }
}
