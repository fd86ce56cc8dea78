import LMZooCore

/// BERT's masked-LM corruption of a batch (as transformers' `DataCollatorForLanguageModeling`): each
/// window becomes `[CLS] tokens [SEP]`; every token position is selected with probability 15%; a
/// selected token is replaced by `[MASK]` (80%), by a random non-special token (10%) or kept (10%), and
/// only selected positions have a target (the original token; -1 elsewhere).
///
/// The draws come from a generator seeded by (seed, step), so the corruption of an update is a pure
/// function of its step and windows: a resumed run masks exactly as an uninterrupted one.
public struct MaskedLanguageModeling: Sendable {
    public var vocabulary: Int
    public var clsID: Int, sepID: Int, maskID: Int
    /// Random replacements are drawn from `firstOrdinaryID..<vocabulary` (after the special tokens).
    public var firstOrdinaryID: Int
    public var seed: UInt64
    public var selectProbability = 0.15

    public init(vocabulary: Int, clsID: Int, sepID: Int, maskID: Int, firstOrdinaryID: Int, seed: UInt64) {
        (self.vocabulary, self.clsID, self.sepID, self.maskID, self.firstOrdinaryID, self.seed)
            = (vocabulary, clsID, sepID, maskID, firstOrdinaryID, seed)
    }

    /// windows (B, T+1) -> inputs (B, T) `[CLS] w[0..<T-2] [SEP]` with the corruption, and targets (B*T).
    public func corrupt(step: Int, windows: [Int], steps T: Int) -> (inputs: [Int], targets: [Int]) {
        precondition(T >= 3, "a masked-LM window needs room for [CLS], a token and [SEP]")
        let B = windows.count / (T + 1)
        var rng = SplitMix64(seed: seed ^ (UInt64(step) &* 0xD1B5_4A32_D192_ED03) ^ 0x2545_F491_4F6C_DD1D)
        var inputs = [Int](repeating: 0, count: B * T), targets = [Int](repeating: -1, count: B * T)
        let ordinary = UInt64(vocabulary - firstOrdinaryID)
        for b in 0..<B {
            inputs[b * T] = clsID
            inputs[b * T + T - 1] = sepID
            for t in 1..<(T - 1) {
                let token = windows[b * (T + 1) + t - 1]
                inputs[b * T + t] = token
                guard rng.nextUnitDouble() < selectProbability else { continue }
                targets[b * T + t] = token
                let choice = rng.nextUnitDouble()
                if choice < 0.8 {
                    inputs[b * T + t] = maskID
                } else if choice < 0.9 {
                    inputs[b * T + t] = firstOrdinaryID + Int(rng.next() % ordinary)
                }
            }
        }
        return (inputs, targets)
    }

    /// The trainer's input hook: the corrupted inputs.
    public func inputs(steps T: Int) -> Trainer.Inputs {
        { step, windows in corrupt(step: step, windows: windows, steps: T).inputs }
    }

    /// The masked-LM loss: cross-entropy on the selected positions only.
    public func objective(steps T: Int) -> Trainer.Objective {
        { step, windows, logits, dlogits in
            let targets = corrupt(step: step, windows: windows, steps: T).targets
            return logits.withUnsafeBufferPointer { l in
                targets.withUnsafeBufferPointer { y in
                    dlogits.withUnsafeMutableBufferPointer { d in
                        CrossEntropyKernel.hard(logits: l.baseAddress!, targets: y.baseAddress!, rows: targets.count,
                                                vocabulary: vocabulary, dlogits: d.baseAddress!).loss
                    }
                }
            }
        }
    }
}
