import Foundation
import LMZooCore

/// Interpolated modified Kneser-Ney estimation as KenLM's `lmplz` does it (`lm/builder/`:
/// `corpus_count.cc`, `adjust_counts.cc`, `initial_probabilities.cc`, `interpolate.cc`), in memory:
///
/// 1. Counting: each line is a sentence `<s> w1 ... wm </s>` (words split on white space; `<unk>`
///    in the text is the unknown word, `<s>`/`</s>` are refused). N-grams of the highest order N
///    are counted over the sentence; shorter n-grams that start with `<s>` (sentence prefixes) keep
///    their raw counts, as lmplz's padded windows `<s> <s> w` collapse to them.
/// 2. Adjusted counts: for n < N, an n-gram not starting with `<s>` counts the distinct words that
///    precede it (the number of (n+1)-grams it ends).
/// 3. Discounts per order from the count-of-counts t1..t4 of adjusted counts (Chen & Goodman eq. 26):
///    `Y = t1/(t1+2 t2)`, `D_k = k - (k+1) Y t_{k+1}/t_k`. When a t_k is 0 or a D_k falls outside
///    [0, k], `--discount-fallback` uses 0.5, 1, 1.5 for that order (lmplz's defaults), else it is an error.
/// 4. `u(w|h) = (a(hw) - D(a(hw))) / sum_w' a(hw')`, `gamma(h) = (D1 N1(h.) + D2 N2(h.) + D3 N3+(h.)) / sum_w' a(hw')`;
///    interpolated `p(w|h) = u(w|h) + gamma(h) p(w|h')`, with unigrams interpolated with the uniform
///    distribution over the vocabulary without `<s>`. Backoff of h = log10 gamma(h) (0 when h is
///    not a context, and for n-grams ending in `<unk>` or `</s>`); `<s>` gets log10 probability 0.
/// 5. With `prune` thresholds, n-grams are left out as `lmplz --prune` leaves them (``CountPruning``).
enum KneserNey {
    /// lmplz's `--discount_fallback` defaults.
    static let fallbackDiscounts: [Double] = [0.5, 1, 1.5]

    /// What an estimation produced, besides the model.
    struct Summary {
        var sentences = 0
        var tokens = 0
        var discounts: [[Double]] = []
        var fellBack: [Int] = []
        /// Entries per order before pruning (nil when nothing was pruned).
        var countsBeforePruning: [Int]?
    }

    /// Estimates an order-`order` model from the text file at `corpus` (checked as every training
    /// corpus is, ``TextFile``: UTF-8, not empty). `prune`: thresholds per order (``CountPruning``).
    static func estimate(corpus: String, order: Int, discountFallback: Bool, prune: [Int]? = nil) throws -> (NGramTables, Summary) {
        guard order >= 1, order <= ARPAReader.maxOrder else { throw EstimationError.badOrder(order) }
        let file = try MappedFile(path: corpus)
        try TextFile.check(file.bytes, path: corpus, refusingEmpty: "")
        return try estimate(text: file.bytes, order: order, discountFallback: discountFallback, prune: prune)
    }

    /// Estimates from UTF-8 text, one sentence per line.
    static func estimate(text: UnsafeRawBufferPointer, order: Int, discountFallback: Bool,
                         prune: [Int]? = nil) throws -> (NGramTables, Summary) {
        guard order >= 1, order <= ARPAReader.maxOrder else { throw EstimationError.badOrder(order) }
        let vocabulary = Vocabulary()
        vocabulary.add(Vocabulary.unknownWord)
        vocabulary.add(Vocabulary.beginWord)
        vocabulary.add(Vocabulary.endWord)
        let bos = UInt32(vocabulary.beginID), eos = UInt32(vocabulary.endID)
        var summary = Summary()

        // 1. Counts of the highest order, and sentence prefixes of lower orders.
        var counts = KneserNeyCounts<Int>(order: order)
        var sentence: [UInt32] = []
        var sentences: [[UInt32]] = []  // kept only to count lower orders for pruning
        var lines = LineCursor(text)
        while let line = lines.next() {
            sentence.removeAll(keepingCapacity: true)
            sentence.append(bos)
            var fields = FieldCursor(line)
            while let word = fields.next() {
                let id = UInt32(vocabulary.intern(word.buffer))
                if id == bos || id == eos { throw EstimationError.sentenceMarkerInCorpus(line: lines.lineNumber, word: word.string) }
                sentence.append(id)
            }
            sentence.append(eos)
            summary.sentences += 1
            summary.tokens += sentence.count - 1
            if prune != nil { sentences.append(sentence) }
            let length = sentence.count
            sentence.withUnsafeBufferPointer { tokens in
                let base = tokens.baseAddress!
                if order == 1 {
                    for i in 1..<length { counts.addUnigram(Int(tokens[i]), probability: 1) }
                    return
                }
                if length >= order {
                    for i in 0...(length - order) { counts.add(base + i, order: order, probability: 1) }
                }
                // Sentence prefixes <s> w1 ... of orders 2..<N keep raw counts.
                var n = 2
                while n < order && n <= length {
                    counts.add(base, order: n, probability: 1)
                    n += 1
                }
            }
        }
        // 2. Adjusted counts of lower orders (distinct left extensions); 3-4. discounts, probabilities.
        try counts.addContinuationCounts(vocabularySize: vocabulary.count)
        var pruned: [[Bool]] = []
        if let prune {
            pruned = try CountPruning.marks(counts, sentences: sentences, thresholds: prune)
            summary.countsBeforePruning = counts.counts.map(\.count)
        }
        let tables = try counts.estimate(vocabulary: vocabulary, discountFallback: discountFallback, pruned: pruned, summary: &summary)
        return (tables, summary)
    }
}

/// Why an estimation failed.
public enum EstimationError: UsageMistake, Equatable, CustomStringConvertible {
    case badOrder(Int)
    case sentenceMarkerInCorpus(line: Int, word: String)
    case badDiscounts(order: Int, countOfCounts: [Int])
    case unsupportedOption(String)
    case badPrune(String, String)
    case internalInconsistency(String)

    /// Option values no estimation can use (exit 2); the rest are about the corpus (1).
    public var countsAsUsageMistake: Bool {
        switch self {
        case .badOrder, .badPrune, .unsupportedOption: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case let .badOrder(order): "--order \(order): must be between 1 and \(ARPAReader.maxOrder)"
        case let .sentenceMarkerInCorpus(line, word): "line \(line): the corpus contains '\(word)', which marks sentence boundaries and cannot be a word"
        case let .badDiscounts(order, counts):
            "cannot compute Kneser-Ney discounts for order \(order): counts of adjusted counts 1..4 are \(counts.map(String.init).joined(separator: ", ")) (small or artificial data?); pass --discount-fallback to use 0.5, 1, 1.5"
        case let .unsupportedOption(message): message
        case let .badPrune(value, reason): "--prune \(value): \(reason)"
        case let .internalInconsistency(what): "internal error: inconsistent n-gram tables (\(what))"
        }
    }
}
