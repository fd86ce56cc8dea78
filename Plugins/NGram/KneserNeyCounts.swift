import Foundation

/// What interpolated modified Kneser-Ney needs to know about one n-gram's count: its mean and the
/// probabilities that it is exactly 1, 2, 3, 4 (the count-of-counts behind the discounts) and at least
/// 3 (the discount D3+ it gets). An observed integer count is certain (`Int`); an expected count
/// (``ExpectedCount``) is a distribution over integer counts, as in Zhang & Chiang (2014).
protocol KneserNeyCount {
    static var zero: Self { get }
    /// E[c].
    var mean: Double { get }
    /// P(c = k) for k = 1...4.
    func probability(of k: Int) -> Double
    /// P(c >= 3).
    var probabilityAtLeast3: Double { get }
    /// P(c > 0): the chance that this n-gram contributes one distinct left extension (a continuation
    /// count) to its suffix.
    var probabilityPositive: Double { get }
    /// One more occurrence with probability `q` (an integer count takes only q = 1).
    mutating func addTrial(_ q: Double)
}

extension Int: KneserNeyCount {
    static var zero: Int { 0 }
    var mean: Double { Double(self) }
    func probability(of k: Int) -> Double { self == k ? 1 : 0 }
    var probabilityAtLeast3: Double { self >= 3 ? 1 : 0 }
    var probabilityPositive: Double { self > 0 ? 1 : 0 }
    mutating func addTrial(_ q: Double) { self += q > 0 ? 1 : 0 }
}

/// A count that is a sum of independent Bernoulli trials (one per position where a teacher gave the
/// n-gram's last word probability q): its mean and P(c = 0...4), updated exactly per trial
/// (Zhang & Chiang 2014, "Kneser-Ney smoothing on expected counts", section 3).
struct ExpectedCount: KneserNeyCount {
    private(set) var mean: Double = 0
    /// P(c = 0), ..., P(c = 4).
    private var p: (Double, Double, Double, Double, Double) = (1, 0, 0, 0, 0)

    static var zero: ExpectedCount { ExpectedCount() }

    func probability(of k: Int) -> Double {
        switch k {
        case 0: p.0
        case 1: p.1
        case 2: p.2
        case 3: p.3
        case 4: p.4
        default: 0
        }
    }

    var probabilityAtLeast3: Double { max(0, 1 - p.0 - p.1 - p.2) }
    var probabilityPositive: Double { 1 - p.0 }

    mutating func addTrial(_ q: Double) {
        let r = 1 - q
        p = (p.0 * r, p.1 * r + p.0 * q, p.2 * r + p.1 * q, p.3 * r + p.2 * q, p.4 * r + p.3 * q)
        mean += q
    }
}

/// The counts of an estimation in progress: for each order, the n-grams (``NGramIndex``; order 1 is
/// indexed by word id) and their counts. Counting fills the highest order (and `<s>`-prefixed lower
/// orders, which keep raw counts as in lmplz); ``addContinuationCounts(vocabularySize:)`` then gives every
/// lower-order n-gram the (expected) number of distinct words preceding it, and
/// ``estimate(vocabulary:discountFallback:summary:)`` turns them into interpolated modified Kneser-Ney
/// probabilities and back-offs.
struct KneserNeyCounts<Count: KneserNeyCount> {
    let order: Int
    /// indices[n-1]: the n-grams of order n >= 2 (index 0 unused).
    let indices: [NGramIndex]
    /// counts[n-1][i]: count of entry i of order n (order 1: by word id).
    var counts: [[Count]]

    init(order: Int) {
        self.order = order
        indices = (0..<order).map { NGramIndex(order: $0 + 1) }
        counts = Array(repeating: [], count: order)
    }

    /// Adds a trial of probability `q` to the n-gram of `n` >= 2 words at `gram`.
    @inline(__always)
    mutating func add(_ gram: UnsafePointer<UInt32>, order n: Int, probability q: Double) {
        let (index, inserted) = indices[n - 1].findOrInsert(gram)
        if inserted { counts[n - 1].append(.zero) }
        counts[n - 1][index].addTrial(q)
    }

    /// Adds a trial of probability `q` to the unigram `word`.
    mutating func addUnigram(_ word: Int, probability q: Double) {
        if word >= counts[0].count { counts[0].append(contentsOf: repeatElement(.zero, count: word - counts[0].count + 1)) }
        counts[0][word].addTrial(q)
    }

    /// Lower-order counts: each n-gram of order n+1 adds a trial of probability P(its count > 0) to
    /// its suffix of order n (for integer counts: the number of distinct left extensions).
    mutating func addContinuationCounts(vocabularySize: Int) throws {
        if counts[0].count < vocabularySize { counts[0].append(contentsOf: repeatElement(.zero, count: vocabularySize - counts[0].count)) }
        guard order > 1 else { return }
        counts[0] = Array(repeating: .zero, count: vocabularySize)
        for n in stride(from: order - 1, through: 1, by: -1) {
            let higher = indices[n]
            let higherCounts = counts[n]
            try higher.words.withUnsafeBufferPointer { words in
                for e in 0..<higher.count {
                    let suffix = words.baseAddress! + e * (n + 1) + 1
                    let q = higherCounts[e].probabilityPositive
                    if n == 1 {
                        counts[0][Int(suffix[0])].addTrial(q)
                    } else {
                        let (index, inserted) = indices[n - 1].findOrInsert(suffix)
                        if inserted { counts[n - 1].append(.zero) }
                        guard index < counts[n - 1].count else { throw EstimationError.internalInconsistency("adjusted counts") }
                        counts[n - 1][index].addTrial(q)
                    }
                }
            }
        }
    }

    /// Discounts per order from the (expected) count-of-counts t1..t4 (Chen & Goodman eq. 26):
    /// `Y = t1/(t1+2 t2)`, `D_k = k - (k+1) Y t_{k+1}/t_k`; lmplz's 0.5, 1, 1.5 where that fails and
    /// `discountFallback` allows, else ``EstimationError/badDiscounts(order:countOfCounts:)``.
    func discounts(discountFallback: Bool, summary: inout KneserNey.Summary) throws -> [[Double]] {
        var discounts: [[Double]] = []
        for n in 1...order {
            var t = [Double](repeating: 0, count: 5)
            for c in counts[n - 1] {
                for k in 1...4 { t[k] += c.probability(of: k) }
            }
            var d: [Double] = [0, 0, 0]
            var valid = t[1] > 0 && t[2] > 0 && t[3] > 0
            if valid {
                let y = t[1] / (t[1] + 2 * t[2])
                for k in 1...3 {
                    d[k - 1] = Double(k) - Double(k + 1) * y * t[k + 1] / t[k]
                    if !(d[k - 1] >= 0 && d[k - 1] <= Double(k)) { valid = false }
                }
            }
            if !valid {
                guard discountFallback else {
                    throw EstimationError.badDiscounts(order: n, countOfCounts: Array(t[1...4]).map { Int($0.rounded()) })
                }
                d = KneserNey.fallbackDiscounts
                summary.fellBack.append(n)
            }
            discounts.append(d)
        }
        summary.discounts = discounts
        return discounts
    }

    /// Interpolated probabilities and back-offs (see ``KneserNey``): per context h,
    /// `u(w|h) = (E[c(hw)] - E[D(c(hw))]) / sum_w' E[c(hw')]`, `gamma(h) = sum_w E[D(c(hw))] / sum_w' E[c(hw')]`
    /// with `E[D(c)] = D1 P(c=1) + D2 P(c=2) + D3 P(c>=3)` (for integer counts: D of the count).
    ///
    /// `pruned[n-1][i]` (empty: nothing pruned) drops entry i of order n >= 2 as lmplz's `--prune`
    /// does (`initial_probabilities.cc`): its whole adjusted count, not just its discount, goes to its
    /// context's gamma, the discounts and denominators still count it, and it is left out of the model.
    func estimate(vocabulary: Vocabulary, discountFallback: Bool, pruned: [[Bool]] = [],
                  summary: inout KneserNey.Summary) throws -> NGramTables {
        var this = self
        let vocabularySize = vocabulary.count
        let bos = vocabulary.beginID, unk = UInt32(vocabulary.unknownID), eos = UInt32(vocabulary.endID)
        if bos >= 0, bos < this.counts[0].count { this.counts[0][bos] = .zero }  // <s> is never predicted
        let counts = this.counts
        let discounts = try this.discounts(discountFallback: discountFallback, summary: &summary)
        @inline(__always) func discount(_ n: Int, _ c: Count) -> Double {
            let d = discounts[n - 1]
            return d[0] * c.probability(of: 1) + d[1] * c.probability(of: 2) + d[2] * c.probabilityAtLeast3
        }

        var logProbs: [[Float]] = []
        var logBackoffs: [[Float]] = []
        var interpolated: [[Double]] = []
        var gammas: [[Double]] = []  // gammas[n-1][i]: gamma of entry i of order n as a context (NaN: not a context)
        for n in 1...order {
            let count = counts[n - 1].count
            let contextCount = n == 1 ? 1 : counts[n - 2].count
            var denominators = [Double](repeating: 0, count: contextCount)
            var numerators = [Double](repeating: 0, count: contextCount)
            var contexts = [Int](repeating: 0, count: count)
            if n >= 2 {
                try indices[n - 1].words.withUnsafeBufferPointer { words in
                    for e in 0..<count {
                        let gram = words.baseAddress! + e * n
                        if n == 2 {
                            contexts[e] = Int(gram[0])
                        } else {
                            guard let found = indices[n - 2].find(gram) else { throw EstimationError.internalInconsistency("missing context") }
                            contexts[e] = found
                        }
                    }
                }
            }
            let prunedHere = n <= pruned.count ? pruned[n - 1] : []
            for e in 0..<count {
                let c = counts[n - 1][e]
                denominators[contexts[e]] += c.mean
                numerators[contexts[e]] += prunedHere.isEmpty || !prunedHere[e] ? discount(n, c) : c.mean
            }
            var gamma = [Double](repeating: .nan, count: contextCount)
            for c in 0..<contextCount where denominators[c] > 0 { gamma[c] = numerators[c] / denominators[c] }
            gammas.append(gamma)

            var p = [Double](repeating: 0, count: count)
            if n == 1 {
                let uniform = 1.0 / Double(max(vocabularySize - 1, 1))
                let g = gamma[0].isNaN ? 1 : gamma[0]
                for w in 0..<count {
                    let c = counts[0][w]
                    let u = denominators[0] > 0 ? (c.mean - discount(1, c)) / denominators[0] : 0
                    p[w] = u + g * uniform
                }
            } else {
                try indices[n - 1].words.withUnsafeBufferPointer { words in
                    for e in 0..<count {
                        let gram = words.baseAddress! + e * n
                        let c = counts[n - 1][e]
                        let context = contexts[e]
                        let u = (c.mean - discount(n, c)) / denominators[context]
                        let lower: Double
                        if n == 2 {
                            lower = interpolated[0][Int(gram[1])]
                        } else {
                            guard let s = indices[n - 2].find(gram + 1) else { throw EstimationError.internalInconsistency("missing suffix") }
                            lower = interpolated[n - 2][s]
                        }
                        p[e] = u + gamma[context] * lower
                    }
                }
            }
            interpolated.append(p)
            var logs = p.map { Float(log10($0)) }
            if n == 1, bos >= 0 { logs[bos] = 0 }
            logProbs.append(logs)
        }
        // Backoffs: log10 gamma of each entry that is a context.
        for n in 1..<order {
            let gamma = gammas[n]  // contexts of order n+1 are entries of order n
            var backoffs = [Float](repeating: 0, count: counts[n - 1].count)
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
        for n in stride(from: 2, through: min(order, pruned.count), by: 1) where pruned[n - 1].contains(true) {
            let keep = pruned[n - 1].indices.filter { !pruned[n - 1][$0] }
            logProbs[n - 1] = keep.map { logProbs[n - 1][$0] }
            if n < order { logBackoffs[n - 1] = keep.map { logBackoffs[n - 1][$0] } }
            words[n - 1] = keep.flatMap { words[n - 1][($0 * n)..<(($0 + 1) * n)] }
        }
        return try NGramTables.build(order: order, vocabulary: vocabulary, probs: logProbs, backoffs: logBackoffs, words: words)
    }

}
