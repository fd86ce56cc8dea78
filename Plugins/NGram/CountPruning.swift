/// Count pruning as KenLM's `lmplz --prune` does it (`lm/builder/adjust_counts.cc`,
/// `initial_probabilities.cc`, `interpolate.cc`): an n-gram of order n >= 2 whose raw count (its
/// occurrences in the sentences `<s> w1 ... wm </s>`, not its adjusted count) is at most the
/// threshold of order n is left out of the model. The discounts are still computed from all n-grams,
/// and a pruned n-gram's whole adjusted count goes to its context's back-off mass
/// (``KneserNeyCounts/estimate(vocabulary:discountFallback:pruned:summary:)``); a context whose
/// extensions are all pruned gets back-off 1 (log10 0).
enum CountPruning {
    /// Thresholds per order from `--prune` (`0,0,1`: one value per order from 1, comma- or
    /// space-separated; the last one extends to the higher orders), or nil when nothing is pruned.
    /// As lmplz: no more values than orders, non-decreasing (else a kept n-gram could lose a prefix
    /// or suffix); unlike lmplz, which does not say what unigram pruning means, the unigram value
    /// must be 0.
    static func thresholds(_ text: String?, order: Int) throws -> [Int]? {
        guard let text else { return nil }
        let parts = text.split(whereSeparator: { $0 == "," || $0 == " " })
        var values: [Int] = []
        for part in parts {
            guard let value = Int(part), value >= 0 else { throw EstimationError.badPrune(text, "'\(part)' is not a count (0 or more)") }
            values.append(value)
        }
        guard !values.isEmpty else { throw EstimationError.badPrune(text, "give one count per order, e.g. 0,0,1") }
        guard values.count <= order else {
            throw EstimationError.badPrune(text, "\(values.count) thresholds, but the model has order \(order)")
        }
        guard values[0] == 0 else { throw EstimationError.badPrune(text, "unigrams cannot be pruned (the first value must be 0)") }
        guard zip(values, values.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw EstimationError.badPrune(text, "thresholds must not decrease from one order to the next")
        }
        values += Array(repeating: values[values.count - 1], count: order - values.count)
        return values.contains { $0 > 0 } ? values : nil
    }

    /// `pruned[n-1][i]` for entry i of order n: its raw count is at most `thresholds[n-1]` (all false
    /// for order 1). `sentences` are the corpus's sentences as ids with `<s>` and `</s>`; the raw
    /// counts of the highest order are `counts`' own, those of lower orders are counted here.
    static func marks(_ counts: KneserNeyCounts<Int>, sentences: [[UInt32]], thresholds: [Int]) throws -> [[Bool]] {
        let order = counts.order
        var marks: [[Bool]] = [Array(repeating: false, count: counts.counts[0].count)]
        for n in stride(from: 2, through: order, by: 1) {
            let entries = counts.indices[n - 1].count
            guard thresholds[n - 1] > 0 else {
                marks.append(Array(repeating: false, count: entries))
                continue
            }
            var raw = n == order ? counts.counts[n - 1] : Array(repeating: 0, count: entries)
            if n < order {
                for sentence in sentences where sentence.count >= n {
                    try sentence.withUnsafeBufferPointer { tokens in
                        for start in 0...(sentence.count - n) {
                            guard let entry = counts.indices[n - 1].find(tokens.baseAddress! + start) else {
                                throw EstimationError.internalInconsistency("an n-gram of the corpus is not counted")
                            }
                            raw[entry] += 1
                        }
                    }
                }
            }
            marks.append(raw.map { $0 <= thresholds[n - 1] })
        }
        return marks
    }
}
