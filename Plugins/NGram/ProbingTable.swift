import LMZooCore

/// Hashing of n-grams of word ids, as KenLM's `lm/model.cc` PROBING model does: an n-gram is hashed
/// from its last word backwards, so that extending a match one word to the left costs one combine.
enum NGramHash {
    /// The hash of the 1-gram `word`.
    @inline(__always)
    static func start(_ word: UInt32) -> UInt64 {
        (UInt64(word) &+ 1) &* 0x9E37_79B9_7F4A_7C15
    }

    /// The hash of `next current...` given the hash of `current...` (KenLM's `CombineWordHash`).
    @inline(__always)
    static func extend(_ current: UInt64, with next: UInt32) -> UInt64 {
        (current &* 8_978_948_897_894_561_157) ^ ((UInt64(next) &+ 1) &* 17_894_857_484_156_487_943)
    }

    /// The hash of `words` (in text order: `words.last` is the predicted word).
    @inline(__always)
    static func key(_ words: UnsafeBufferPointer<UInt32>) -> UInt64 {
        var key = start(words[words.count - 1])
        var i = words.count - 2
        while i >= 0 {
            key = extend(key, with: words[i])
            i -= 1
        }
        return key == 0 ? 1 : key
    }
}

/// One order's n-grams (order >= 2) in an open-addressing hash table with linear probing, keyed by
/// the 64-bit ``NGramHash`` of the n-gram (as KenLM's PROBING model, colliding keys are taken as
/// equal). Each bucket is two 64-bit words: the key (0 = empty) and the log10 probability and
/// backoff as two `Float`s. The bucket count is a power of two and at least 1.5x the entry count.
///
/// Lookups probe at most `bucketCount` buckets, so a table loaded from an untrusted binary file
/// (which could be full) cannot loop forever.
final class ProbingTable: @unchecked Sendable {
    /// `2 * bucketCount` words: key, then (prob bits | backoff bits << 32).
    let storage: Column<UInt64>
    let bucketCount: Int
    private let mask: Int
    private let shift: UInt64
    private let buckets: UnsafePointer<UInt64>

    /// Number of buckets for `entries` entries.
    static func bucketCount(for entries: Int) -> Int {
        var size = 2
        let wanted = entries + entries / 2 + 1
        while size < wanted { size *= 2 }
        return size
    }

    /// A table over `storage` (from a binary file or ``Builder``); nil when its size is not a
    /// power of two of at least 2 buckets.
    init?(storage: Column<UInt64>) {
        let buckets = storage.count / 2
        guard buckets >= 2, buckets & (buckets - 1) == 0, storage.count == buckets * 2, let base = storage.values.baseAddress else {
            return nil
        }
        self.storage = storage
        bucketCount = buckets
        mask = buckets - 1
        shift = UInt64(64 - buckets.trailingZeroBitCount)
        self.buckets = base
    }

    @inline(__always)
    fileprivate static func home(_ key: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The (prob, backoff) of the n-gram with hash `key`, or nil.
    @inline(__always)
    func find(_ key: UInt64) -> (prob: Float, backoff: Float)? { view.find(key) }

    /// A plain value for the scoring loop (no reference counting); valid while the table lives.
    var view: View { View(buckets: buckets, mask: mask, shift: shift, bucketCount: bucketCount) }

    /// The table's memory, for the hot loop.
    struct View {
        let buckets: UnsafePointer<UInt64>
        let mask: Int
        let shift: UInt64
        let bucketCount: Int

        /// The (prob, backoff) of the n-gram with hash `key`, or nil.
        @inline(__always)
        func find(_ key: UInt64) -> (prob: Float, backoff: Float)? {
            var index = ProbingTable.home(key, shift: shift)
            var probes = 0
            while probes < bucketCount {
                let stored = buckets[2 * index]
                if stored == key {
                    let payload = buckets[2 * index + 1]
                    return (Float(bitPattern: UInt32(truncatingIfNeeded: payload)), Float(bitPattern: UInt32(truncatingIfNeeded: payload >> 32)))
                }
                if stored == 0 { return nil }
                index = (index + 1) & mask
                probes += 1
            }
            return nil
        }
    }

    /// Fills a new table.
    final class Builder {
        private let words: UnsafeMutableBufferPointer<UInt64>
        private var finished = false
        private let mask: Int
        private let bucketCount: Int
        private let shift: UInt64

        /// Room for `capacity` entries.
        init(capacity: Int) {
            bucketCount = ProbingTable.bucketCount(for: capacity)
            shift = UInt64(64 - bucketCount.trailingZeroBitCount)
            words = .allocate(capacity: bucketCount * 2)
            words.initialize(repeating: 0)
            mask = bucketCount - 1
        }

        /// Inserts; false when the key is already present (a duplicate n-gram). The caller never
        /// inserts more than `capacity` entries.
        @inline(__always)
        func insert(key: UInt64, prob: Float, backoff: Float) -> Bool {
            var index = ProbingTable.home(key, shift: shift)
            while true {
                let stored = words[2 * index]
                if stored == key { return false }
                if stored == 0 { break }
                index = (index + 1) & mask
            }
            words[2 * index] = key
            words[2 * index + 1] = UInt64(prob.bitPattern) | (UInt64(backoff.bitPattern) << 32)
            return true
        }

        /// Inserts entries `0..<count` in batches: the home buckets of a batch are loaded first, so
        /// that their cache misses overlap. Returns the index of the first duplicate, or nil.
        func insertAll(keys: UnsafePointer<UInt64>, probs: UnsafePointer<Float>, backoffs: UnsafePointer<Float>?, count: Int) -> Int? {
            let batch = 16
            var homes = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            return withUnsafeMutableBytes(of: &homes) { raw -> Int? in
                let home = raw.baseAddress!.assumingMemoryBound(to: Int.self)
                var sink: UInt64 = 0
                var start = 0
                while start < count {
                    let end = min(start + batch, count)
                    for i in start..<end {
                        let h = ProbingTable.home(keys[i], shift: shift)
                        home[i - start] = h
                        sink &+= words[2 * h]
                    }
                    for i in start..<end {
                        var index = home[i - start]
                        let key = keys[i]
                        while true {
                            let stored = words[2 * index]
                            if stored == key { return i }
                            if stored == 0 { break }
                            index = (index + 1) & mask
                        }
                        words[2 * index] = key
                        words[2 * index + 1] = UInt64(probs[i].bitPattern) | (UInt64((backoffs?[i] ?? 0).bitPattern) << 32)
                    }
                    start = end
                }
                touched = sink
                return nil
            }
        }

        /// Keeps the batch loads of ``insertAll(keys:probs:backoffs:count:)`` from being optimised away.
        private var touched: UInt64 = 0

        /// The finished table (the builder must not be used afterwards).
        func finish() -> ProbingTable {
            finished = true
            return ProbingTable(storage: Column(adopting: words, count: bucketCount * 2))!
        }

        deinit { if !finished { words.deallocate() } }
    }
}
