import LMZooCore

/// Estimates an n-gram model from *soft* counts along a token stream: at each position a teacher's
/// next-token distribution (or a part of it) adds, for every word w it gives probability q, one
/// Bernoulli trial of probability q to the count of (the last N-1 tokens, w). The counts are then
/// smoothed by expected interpolated modified Kneser-Ney (Zhang & Chiang 2014, "Kneser-Ney
/// Smoothing on Expected Counts", ACL): each n-gram's count is a distribution over integers, the
/// discounts come from the expected count-of-counts, an n-gram's expected discount is
/// `D1 P(c=1) + D2 P(c=2) + D3 P(c>=3)`, and a lower-order n-gram's count is the expected number of
/// distinct words preceding it (each longer n-gram contributes P(its count > 0)). With q = 1 for the
/// observed token only, this is exactly ordinary modified Kneser-Ney on the stream.
///
/// Words are token ids `0..<V` of the teacher's tokenizer, written as ``NGramWordForms`` spells them;
/// the stream starts after `<s>` (lower-order n-grams starting with `<s>` keep raw counts, as in lmplz).
public final class SoftCountEstimator {
    public let order: Int
    private let vocabulary: Vocabulary
    private var counts: KneserNeyCounts<ExpectedCount>
    /// Vocabulary ids of the context: `<s>` and the stream's last tokens (at most N-1 ids).
    private var history: [UInt32] = []
    private let firstWordID: UInt32
    private let tokenCount: Int
    /// Positions added so far.
    public private(set) var positions = 0
    /// Trials added so far (the sum over positions of the words given).
    public private(set) var trials = 0

    /// An estimator of order `order` over the tokens spelled `words` (id i = `words[i]`, see ``NGramWordForms``).
    public init(order: Int, words: [String]) throws {
        guard order >= 1, order <= ARPAReader.maxOrder else { throw EstimationError.badOrder(order) }
        let vocabulary = Vocabulary()
        vocabulary.add(Vocabulary.unknownWord)
        vocabulary.add(Vocabulary.beginWord)
        vocabulary.add(Vocabulary.endWord)
        firstWordID = UInt32(vocabulary.count)
        vocabulary.reserve(words.count + 3)
        for (id, word) in words.enumerated() {
            guard vocabulary.add(word) != nil, !word.utf8.contains(where: ByteSpan.isBlank), !word.isEmpty else {
                throw EstimationError.unsupportedOption("token \(id) ('\(word)') is not a distinct word without white space")
            }
        }
        self.vocabulary = vocabulary
        self.order = order
        tokenCount = words.count
        counts = KneserNeyCounts(order: order)
        beginStream()
    }

    /// Starts a new stream: the context is `<s>`.
    public func beginStream() {
        history = [UInt32(vocabulary.beginID)]
    }

    /// At the current position, one trial of probability `q` for each `(id, q)` of `next` (token ids,
    /// 0 <= q <= 1); then the stream moves on by the token `observed`.
    public func add(next: [(id: Int, probability: Double)], observed: Int) throws {
        guard observed >= 0, observed < tokenCount else { throw ModelError.idOutOfRange(observed, vocabularySize: tokenCount) }
        var gram = history + [0]
        let n = gram.count
        for (id, q) in next {
            guard id >= 0, id < tokenCount else { throw ModelError.idOutOfRange(id, vocabularySize: tokenCount) }
            guard q >= 0, q <= 1 else { throw EstimationError.unsupportedOption("probability \(q) of token \(id) is outside [0, 1]") }
            if order == 1 {
                counts.addUnigram(Int(firstWordID) + id, probability: q)
            } else {
                gram[n - 1] = firstWordID + UInt32(id)
                gram.withUnsafeBufferPointer { counts.add($0.baseAddress!, order: n, probability: q) }
            }
        }
        positions += 1
        trials += next.count
        history.append(firstWordID + UInt32(observed))
        if history.count > order - 1 { history.removeFirst(history.count - (order - 1)) }
    }

    /// The model: expected Kneser-Ney probabilities and back-offs (discounts that the expected
    /// count-of-counts cannot give fall back to lmplz's 0.5, 1, 1.5), its vocabulary `<unk> <s> </s>`
    /// then the words.
    public func estimate() throws -> (model: NGramModel, discounts: [[Double]], fellBack: [Int]) {
        var counts = self.counts
        try counts.addContinuationCounts(vocabularySize: vocabulary.count)
        var summary = KneserNey.Summary()
        let tables = try counts.estimate(vocabulary: vocabulary, discountFallback: true, summary: &summary)
        return (NGramModel(tables: tables), summary.discounts, summary.fellBack)
    }
}

/// How token strings of another tokenizer become n-gram words: a word may hold no white space and
/// must not be `<s>`, `</s>`, `<unk>`, so token i is written as itself when it is non-empty, has no
/// ASCII white space, does not start with `<` and is not a repeat, else as `<tok_i>` (e.g. GPT-2's
/// `Ġthe` stays, `<|endoftext|>` and a character model's `" "` become `<tok_…>`).
public enum NGramWordForms {
    /// The words for tokens `0..<tokens.count` (nil: a token without a string). Tokens that are empty,
    /// start with `<`, repeat, or hold a blank or a line break (which would split an ARPA line) become `<tok_ID>`.
    public static func words(for tokens: [String?]) -> [String] {
        var seen = Set<String>()
        return tokens.enumerated().map { id, token in
            if let token, !token.isEmpty, !token.hasPrefix("<"), !token.utf8.contains(where: { ByteSpan.isBlank($0) || $0 == 0x0A }), seen.insert(token).inserted {
                return token
            }
            return "<tok_\(id)>"
        }
    }
}
