import LMZooCore

/// The words of an n-gram model, each with an id (its position among the ARPA file's 1-grams), and
/// a hash table from a word's UTF-8 bytes to its id, so that text is mapped to ids without building
/// a `String` per word.
///
/// `<unk>`, `<s>` and `</s>` are ordinary entries whose ids are remembered.
final class Vocabulary: @unchecked Sendable {
    static let unknownWord = "<unk>"
    static let beginWord = "<s>"
    static let endWord = "</s>"

    /// All words' UTF-8 bytes, back to back.
    private(set) var bytes: [UInt8] = []
    /// Word `i` is `bytes[offsets[i]..<offsets[i + 1]]`.
    private(set) var offsets: [Int] = [0]
    /// Open-addressing slots: id + 1, or 0 when empty (power-of-two size).
    private var slots: [Int32] = [Int32](repeating: 0, count: 16)
    private var hashes: [UInt32] = []

    private(set) var unknownID = -1
    private(set) var beginID = -1
    private(set) var endID = -1

    init() {}

    /// The vocabulary stored as `blob` + `offsets` (word `i` is `blob[offsets[i]..<offsets[i+1]]`).
    /// Returns nil on a duplicate word or an offset out of bounds.
    convenience init?(blob: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int64>) {
        self.init()
        let count = offsets.count - 1
        guard count >= 0 else { return nil }
        reserve(count)
        for i in 0..<count {
            let start = Int(offsets[i]), end = Int(offsets[i + 1])
            guard start >= 0, start <= end, end <= blob.count else { return nil }
            guard add(UnsafeBufferPointer(rebasing: blob[start..<end])) != nil else { return nil }
        }
    }

    /// Number of words.
    var count: Int { offsets.count - 1 }

    /// Makes room for `count` words without rehashing.
    func reserve(_ count: Int) {
        let needed = Vocabulary.slotCount(for: count)
        if needed > slots.count { rehash(to: needed) }
        hashes.reserveCapacity(count)
        offsets.reserveCapacity(count + 1)
    }

    /// The word with id `id` as a string.
    func word(_ id: Int) -> String {
        guard id >= 0, id < count else { return "" }
        return String(decoding: bytes[offsets[id]..<offsets[id + 1]], as: UTF8.self)
    }

    /// Calls `body` with the UTF-8 bytes of word `id`.
    @inline(__always)
    func withWordBytes<R>(_ id: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[offsets[id]..<offsets[id + 1]])) }
    }

    /// The id of `word`, or nil.
    func id(of word: String) -> Int? {
        var word = word
        return word.withUTF8 { id(of: $0) }
    }

    /// The id of the word spelled by `word`, or nil.
    @inline(__always)
    func id(of word: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = Vocabulary.hash(word)
        let mask = slots.count - 1
        return slots.withUnsafeBufferPointer { slots in
            hashes.withUnsafeBufferPointer { hashes in
                bytes.withUnsafeBufferPointer { blob in
                    offsets.withUnsafeBufferPointer { offsets in
                        var index = Int(truncatingIfNeeded: hash) & mask
                        while true {
                            let slot = Int(slots[index])
                            if slot == 0 { return nil }
                            let id = slot - 1
                            if hashes[id] == UInt32(truncatingIfNeeded: hash) {
                                let start = offsets[id], length = offsets[id + 1] - start
                                if length == word.count
                                    && (length == 0 || memcmp(blob.baseAddress! + start, word.baseAddress!, length) == 0)
                                {
                                    return id
                                }
                            }
                            index = (index + 1) & mask
                        }
                    }
                }
            }
        }
    }

    /// Adds `word` with the next id; nil when it is already present.
    @discardableResult
    func add(_ word: UnsafeBufferPointer<UInt8>) -> Int? {
        if id(of: word) != nil { return nil }
        return append(word)
    }

    /// The id of `word`, adding it when new.
    @inline(__always)
    func intern(_ word: UnsafeBufferPointer<UInt8>) -> Int {
        id(of: word) ?? append(word)
    }

    /// Adds `word` (a string) with the next id; nil when present.
    @discardableResult
    func add(_ word: String) -> Int? {
        var word = word
        return word.withUTF8 { add($0) }
    }

    private func append(_ word: UnsafeBufferPointer<UInt8>) -> Int {
        let id = count
        if Vocabulary.slotCount(for: id + 1) > slots.count { rehash(to: slots.count * 2) }
        bytes.append(contentsOf: word)
        offsets.append(bytes.count)
        let hash = Vocabulary.hash(word)
        hashes.append(UInt32(truncatingIfNeeded: hash))
        insertSlot(id: id, hash: hash)
        noteSpecial(word, id: id)
        return id
    }

    private func noteSpecial(_ word: UnsafeBufferPointer<UInt8>, id: Int) {
        guard word.count >= 3, word.count <= 5, word.first == UInt8(ascii: "<") else { return }
        let text = String(decoding: word, as: UTF8.self)
        switch text {
        case Vocabulary.unknownWord: unknownID = id
        case Vocabulary.beginWord: beginID = id
        case Vocabulary.endWord: endID = id
        default: break
        }
    }

    private func insertSlot(id: Int, hash: UInt64) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index] != 0 { index = (index + 1) & mask }
        slots[index] = Int32(id + 1)
    }

    private func rehash(to size: Int) {
        slots = [Int32](repeating: 0, count: size)
        for id in 0..<count {
            let hash = withWordBytes(id) { Vocabulary.hash($0) }
            insertSlot(id: id, hash: hash)
        }
    }

    /// Slots for `count` words at a load factor of at most 1/2.
    private static func slotCount(for count: Int) -> Int {
        var size = 16
        while size < count * 2 { size *= 2 }
        return size
    }

    /// 64-bit hash of a byte string (8 bytes at a time, then a final mix).
    @inline(__always)
    static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(word.count)
        guard let base = word.baseAddress else { return mix(h) }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= word.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        if i < word.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < word.count {
                tail |= UInt64(base[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0xFF51_AFD7_ED55_8CCD
        }
        return mix(h)
    }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x = x &* 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A frozen copy of a ``Vocabulary``'s lookup table in memory it owns through `let` pointers: the
/// hot loops (ARPA parsing, scoring) look words up here without array bounds or exclusivity checks.
/// Each slot is two words: the word's 64-bit hash and `id + 1` (0: empty). As KenLM's vocabulary
/// (`lm/vocab.cc`), a lookup compares the 64-bit hashes only (one cache line per word); the
/// ``Vocabulary`` itself, which decides what is a new word, compares bytes.
final class VocabularyIndex: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<UInt64>
    private let mask: Int

    init(_ vocabulary: Vocabulary) {
        let count = vocabulary.count
        var size = 16
        while size < count * 2 { size *= 2 }
        mask = size - 1
        slots = .allocate(capacity: size * 2)
        slots.initialize(repeating: 0, count: size * 2)
        for id in 0..<count {
            let hash = vocabulary.withWordBytes(id) { Vocabulary.hash($0) }
            var index = Int(truncatingIfNeeded: hash) & mask
            while slots[2 * index + 1] != 0 { index = (index + 1) & mask }
            slots[2 * index] = hash
            slots[2 * index + 1] = UInt64(id + 1)
        }
    }

    /// The id of the word spelled by `word`, or nil.
    @inline(__always)
    func id(of word: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = Vocabulary.hash(word)
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[2 * index + 1]
            if slot == 0 { return nil }
            if slots[2 * index] == hash { return Int(slot) - 1 }
            index = (index + 1) & mask
        }
    }

    deinit {
        slots.deallocate()
    }
}
