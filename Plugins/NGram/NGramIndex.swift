/// A growable hash set of n-grams of one order (word ids), each with a dense index: the counting
/// structure of the estimator. n-grams are compared word by word (no hash collisions merge).
final class NGramIndex {
    let n: Int
    /// Words of entry i: `words[i*n..<(i+1)*n]`.
    private(set) var words: [UInt32] = []
    private var hashes: [UInt64] = []
    /// Entry index + 1, 0 = empty; power-of-two size, load at most 1/2.
    private var slots: [Int32] = [Int32](repeating: 0, count: 1024)

    init(order n: Int) { self.n = n }

    var count: Int { hashes.count }

    /// The index of `gram` (n words), inserting it when new.
    @inline(__always)
    func findOrInsert(_ gram: UnsafePointer<UInt32>) -> (index: Int, inserted: Bool) {
        let hash = hash(gram)
        if let found = find(gram, hash: hash) { return (found, false) }
        if (count + 1) * 2 > slots.count { grow() }
        let index = count
        words.append(contentsOf: UnsafeBufferPointer(start: gram, count: n))
        hashes.append(hash)
        place(index, hash: hash)
        return (index, true)
    }

    /// The index of `gram`, or nil.
    @inline(__always)
    func find(_ gram: UnsafePointer<UInt32>) -> Int? { find(gram, hash: hash(gram)) }

    @inline(__always)
    private func find(_ gram: UnsafePointer<UInt32>, hash: UInt64) -> Int? {
        let mask = slots.count - 1
        return slots.withUnsafeBufferPointer { slots in
            words.withUnsafeBufferPointer { words in
                hashes.withUnsafeBufferPointer { hashes in
                    var position = Int(truncatingIfNeeded: hash >> 20) & mask
                    while true {
                        let slot = Int(slots[position])
                        if slot == 0 { return nil }
                        let index = slot - 1
                        if hashes[index] == hash {
                            var same = true
                            for k in 0..<n where words[index * n + k] != gram[k] {
                                same = false
                                break
                            }
                            if same { return index }
                        }
                        position = (position + 1) & mask
                    }
                }
            }
        }
    }

    @inline(__always)
    private func hash(_ gram: UnsafePointer<UInt32>) -> UInt64 {
        NGramHash.key(UnsafeBufferPointer(start: gram, count: n))
    }

    private func place(_ index: Int, hash: UInt64) {
        let mask = slots.count - 1
        var position = Int(truncatingIfNeeded: hash >> 20) & mask
        while slots[position] != 0 { position = (position + 1) & mask }
        slots[position] = Int32(index + 1)
    }

    private func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        for index in 0..<count { place(index, hash: hashes[index]) }
    }
}
