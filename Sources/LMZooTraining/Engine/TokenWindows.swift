import LMZooCore

/// Mini-batches of fixed-length windows from a tokenized corpus: window b of a batch is
/// `ids[start_b ..< start_b + length + 1]` (inputs and next-token targets), the starts drawn
/// uniformly from a generator seeded by (seed, step), so a batch depends only on its step number:
/// a resumed run sees exactly the batches an uninterrupted one does.
public struct TokenWindows: Sendable {
    public let ids: [Int]
    /// Inputs per window (T).
    public let length: Int

    /// Throws unless the corpus holds at least one window of `length + 1` tokens.
    public init(ids: [Int], length: Int, source: String) throws {
        guard length > 0 else { throw TrainingError.badOption(name: "context", value: String(length), reason: "must be positive") }
        guard ids.count > length else {
            throw TrainingError.badCorpus(path: source, reason: "\(ids.count) tokens, fewer than one window of \(length + 1)")
        }
        self.ids = ids
        self.length = length
    }

    /// Where the B windows of update `step` start.
    public func starts(step: Int, size B: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D)
        let count = UInt64(ids.count - length)  // valid starts 0..<count
        return (0..<B).map { _ in Int(rng.next() % count) }
    }

    /// The windows of update `step`: (B, T + 1) ids, batch-major.
    public func batch(step: Int, size B: Int, seed: UInt64) -> [Int] {
        starts(step: step, size: B, seed: seed).flatMap { ids[$0...($0 + length)] }
    }
}
