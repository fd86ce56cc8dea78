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
enum KneserNey {
    /// lmplz's `--discount_fallback` defaults.
    static let fallbackDiscounts: [Double] = [0.5, 1, 1.5]

    /// What an estimation produced, besides the model.
    struct Summary {
        var sentences = 0
        var tokens = 0
        var discounts: [[Double]] = []
        var fellBack: [Int] = []
    }

    /// Estimates an order-`order` model from the text file at `corpus`.
    static func estimate(corpus: String, order: Int, discountFallback: Bool) throws -> (NGramTables, Summary) {
        guard order >= 1, order <= ARPAReader.maxOrder else { throw EstimationError.badOrder(order) }
        let file = try MappedFile(path: corpus)
        return try estimate(text: file.bytes, order: order, discountFallback: discountFallback)
    }

    /// Estimates from UTF-8 text, one sentence per line.
    static func estimate(text: UnsafeRawBufferPointer, order: Int, discountFallback: Bool) throws -> (NGramTables, Summary) {
        guard order >= 1, order <= ARPAReader.maxOrder else { throw EstimationError.badOrder(order) }
        let vocabulary = Vocabulary()
        vocabulary.add(Vocabulary.unknownWord)
        vocabulary.add(Vocabulary.beginWord)
        vocabulary.add(Vocabulary.endWord)
        let unk = UInt32(vocabulary.unknownID), bos = UInt32(vocabulary.beginID), eos = UInt32(vocabulary.endID)
        var summary = Summary()

        // 1. Counts. indices[n-1] holds the n-grams of order n >= 2 (index 0 unused).
        let indices = (0..<order).map { NGramIndex(order: max($0 + 1, 1)) }
        var adjusted: [[Int]] = Array(repeating: [], count: order)  // per order, by entry index (order 1: by word id)
        var unigramRaw: [Int] = []
        var sentence: [UInt32] = []
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
            let length = sentence.count
            sentence.withUnsafeBufferPointer { tokens in
                let base = tokens.baseAddress!
                if order == 1 {
                    for i in 1..<length {
                        let id = Int(tokens[i])
                        if id >= unigramRaw.count { unigramRaw.append(contentsOf: repeatElement(0, count: id - unigramRaw.count + 1)) }
                        unigramRaw[id] += 1
                    }
                    return
                }
                if length >= order {
                    for i in 0...(length - order) {
                        let (index, inserted) = indices[order - 1].findOrInsert(base + i)
                        if inserted { adjusted[order - 1].append(0) }
                        adjusted[order - 1][index] += 1
                    }
                }
                // Sentence prefixes <s> w1 ... of orders 2..<N keep raw counts.
                var n = 2
                while n < order && n <= length {
                    let (index, inserted) = indices[n - 1].findOrInsert(base)
                    if inserted { adjusted[n - 1].append(0) }
                    adjusted[n - 1][index] += 1
                    n += 1
                }
            }
        }
        let vocabularySize = vocabulary.count

        // 2. Adjusted counts of lower orders: distinct left extensions.
        if order == 1 {
            unigramRaw.append(contentsOf: repeatElement(0, count: vocabularySize - unigramRaw.count))
            adjusted[0] = unigramRaw
        } else {
            adjusted[0] = [Int](repeating: 0, count: vocabularySize)
            for n in stride(from: order - 1, through: 1, by: -1) {
                let higher = indices[n]
                try higher.words.withUnsafeBufferPointer { words in
                    for e in 0..<higher.count {
                        let suffix = words.baseAddress! + e * (n + 1) + 1
                        if n == 1 {
                            adjusted[0][Int(suffix[0])] += 1
                        } else {
                            let (index, inserted) = indices[n - 1].findOrInsert(suffix)
                            if inserted { adjusted[n - 1].append(0) }
                            guard index < adjusted[n - 1].count else { throw EstimationError.internalInconsistency("adjusted counts") }
                            adjusted[n - 1][index] += 1
                        }
                    }
                }
            }
        }
        adjusted[0][Int(bos)] = 0

        // 3. Discounts.
        var discounts: [[Double]] = []
        for n in 1...order {
            var t = [Double](repeating: 0, count: 5)
            for a in adjusted[n - 1] where a >= 1 && a <= 4 { t[a] += 1 }
            var d: [Double] = [0, 0, 0]
            var valid = t[1] > 0 && t[2] > 0 && t[3] > 0
            if valid {
                let y = t[1] / (t[1] + 2 * t[2])
                for k in 1...3 {
                    d[k - 1] = Double(k) - Double(k + 1) * y * t[k + 1] / t[k]
                    if d[k - 1] < 0 || d[k - 1] > Double(k) { valid = false }
                }
            }
            if !valid {
                guard discountFallback else { throw EstimationError.badDiscounts(order: n, countOfCounts: Array(t[1...4]).map { Int($0) }) }
                d = fallbackDiscounts
                summary.fellBack.append(n)
            }
            discounts.append(d)
        }
        summary.discounts = discounts
        @inline(__always) func discount(_ n: Int, _ a: Int) -> Double { a <= 0 ? 0 : discounts[n - 1][min(a, 3) - 1] }

        // 4. Per context: denominators and gammas; then interpolated probabilities, order by order.
        var logProbs: [[Float]] = []
        var logBackoffs: [[Float]] = []
        var interpolated: [[Double]] = []
        var gammas: [[Double]] = []  // gammas[n-1][i]: gamma of entry i of order n as a context (NaN: not a context)
        for n in 1...order {
            let count = adjusted[n - 1].count
            let contextCount = n == 1 ? 1 : adjusted[n - 2].count
            var denominators = [Double](repeating: 0, count: contextCount)
            var numerators = [Double](repeating: 0, count: contextCount)
            var contexts = [Int](repeating: 0, count: count)
            if n >= 2 {
                try indices[n - 1].words.withUnsafeBufferPointer { words in
                    for e in 0..<count {
                        let gram = words.baseAddress! + e * n
                        let context: Int
                        if n == 2 {
                            context = Int(gram[0])
                        } else {
                            guard let found = indices[n - 2].find(gram) else { throw EstimationError.internalInconsistency("missing context") }
                            context = found
                        }
                        contexts[e] = context
                    }
                }
            }
            for e in 0..<count {
                let a = adjusted[n - 1][e]
                denominators[contexts[e]] += Double(a)
                numerators[contexts[e]] += discount(n, a)
            }
            var gamma = [Double](repeating: .nan, count: contextCount)
            for c in 0..<contextCount where denominators[c] > 0 { gamma[c] = numerators[c] / denominators[c] }
            gammas.append(gamma)

            var p = [Double](repeating: 0, count: count)
            if n == 1 {
                let uniform = 1.0 / Double(max(vocabularySize - 1, 1))
                let g = gamma[0].isNaN ? 1 : gamma[0]
                for w in 0..<count {
                    let a = adjusted[0][w]
                    let u = denominators[0] > 0 ? (Double(a) - discount(1, a)) / denominators[0] : 0
                    p[w] = u + g * uniform
                }
            } else {
                try indices[n - 1].words.withUnsafeBufferPointer { words in
                    for e in 0..<count {
                        let gram = words.baseAddress! + e * n
                        let a = adjusted[n - 1][e]
                        let c = contexts[e]
                        let u = (Double(a) - discount(n, a)) / denominators[c]
                        let lower: Double
                        if n == 2 {
                            lower = interpolated[0][Int(gram[1])]
                        } else {
                            guard let s = indices[n - 2].find(gram + 1) else { throw EstimationError.internalInconsistency("missing suffix") }
                            lower = interpolated[n - 2][s]
                        }
                        p[e] = u + gamma[c] * lower
                    }
                }
            }
            interpolated.append(p)
            var logs = p.map { Float(log10($0)) }
            if n == 1 { logs[Int(bos)] = 0 }
            logProbs.append(logs)
        }
        // Backoffs: log10 gamma of each entry that is a context.
        for n in 1..<order {
            let gamma = gammas[n]  // contexts of order n+1 are entries of order n
            var backoffs = [Float](repeating: 0, count: adjusted[n - 1].count)
            let lastWord: (Int) -> UInt32 = n == 1 ? { UInt32($0) } : { [words = indices[n - 1].words] e in words[e * n + n - 1] }
            for e in 0..<backoffs.count where !gamma[e].isNaN {
                let last = lastWord(e)
                if last == unk || last == eos { continue }
                backoffs[e] = max(Float(log10(gamma[e])), -99)
            }
            logBackoffs.append(backoffs)
        }
        logBackoffs.append([])
        var words: [[UInt32]] = [[]]
        for n in stride(from: 2, through: order, by: 1) { words.append(indices[n - 1].words) }
        let tables = try NGramTables.build(order: order, vocabulary: vocabulary, probs: logProbs, backoffs: logBackoffs, words: words)
        return (tables, summary)
    }
}

/// Why an estimation failed.
public enum EstimationError: Error, Equatable, CustomStringConvertible {
    case badOrder(Int)
    case sentenceMarkerInCorpus(line: Int, word: String)
    case badDiscounts(order: Int, countOfCounts: [Int])
    case unsupportedOption(String)
    case internalInconsistency(String)

    public var description: String {
        switch self {
        case let .badOrder(order): "--order \(order): must be between 1 and \(ARPAReader.maxOrder)"
        case let .sentenceMarkerInCorpus(line, word): "line \(line): the corpus contains '\(word)', which marks sentence boundaries and cannot be a word"
        case let .badDiscounts(order, counts):
            "cannot compute Kneser-Ney discounts for order \(order): counts of adjusted counts 1..4 are \(counts.map(String.init).joined(separator: ", ")) (small or artificial data?); pass --discount-fallback to use 0.5, 1, 1.5"
        case let .unsupportedOption(message): message
        case let .internalInconsistency(what): "internal error: inconsistent n-gram tables (\(what))"
        }
    }
}
