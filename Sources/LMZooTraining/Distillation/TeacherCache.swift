import Foundation
import LMZooCore

/// A teacher's next-token distributions on disk, per window of the corpus, for reuse by later
/// distillation runs (any temperature, alpha, student, step count; the same teacher, corpus,
/// tokenization and window length).
///
/// What is stored: for each position of a training window, the teacher's `topK` largest
/// log-probabilities at temperature 1 as IEEE half floats with their ids (u32); ``Settings/topK`` = 0,
/// and every held-out (evaluation) window, store whole rows as halves (ids implied). A row is read
/// back as those log-probabilities, the rest of the mass spread evenly over the other ids,
/// renormalised (a proper distribution). Size per window of T positions: `6 T k` bytes (T = 64,
/// k = 256: 96 KiB), whole rows `2 T V` (V = 2048: 256 KiB; 50k: 6.4 MB) instead of `4 T V` in f32.
/// Precision: a half has 11 significant bits, so a stored log-probability is within about 0.05% of
/// itself (p within about 0.4% at log p = -8). The flattened tail is the real trade-off: a student
/// trained from the cache learns a teacher whose mass beyond its top k is uniform (for the flat
/// 2048-token fortunes-gpt2 the top 64 of a position hold 64% of the mass on average, the top 256
/// 86%: hence the default 256); the evaluation, on whole rows, is not affected.
///
/// Layout: `ROOT/<key>/w<start>.bin` (`h<start>.bin`: held-out windows), where `<key>` is the sha256 of the teacher's identity (its
/// files' sha256), the corpus's sha256, the window length, vocabulary size and `topK`; `key.json`
/// there records them. A window file holds a header (magic, version, T, V, k, start), the window's
/// input ids, the ids and halves, and the sha256 of all that. A file that is truncated, fails its
/// checksum or describes another window is recomputed and overwritten (counted in ``rebuilt``),
/// never trusted. Files are written atomically (``AtomicFileWriter``).
public final class TeacherCache {
    /// What identifies the cached distributions.
    public struct Settings: Sendable, Equatable {
        /// The teacher's identity, e.g. ``TeacherCache/fingerprint(ofModelAt:)``.
        public var teacher: String
        /// sha256 of the corpus text.
        public var corpus: String
        /// Positions per window.
        public var window: Int
        /// The teacher's vocabulary size.
        public var vocabulary: Int
        /// Log-probabilities kept per position (0: the whole row).
        public var topK: Int = 256

        public init(teacher: String, corpus: String, window: Int, vocabulary: Int, topK: Int = 256) {
            (self.teacher, self.corpus, self.window, self.vocabulary, self.topK) = (teacher, corpus, window, vocabulary, topK)
        }

        var description: String { "teacher=\(teacher) corpus=\(corpus) window=\(window) vocabulary=\(vocabulary) top_k=\(topK)" }
    }

    public let settings: Settings
    /// The folder of this key's window files.
    public let directory: String
    /// Windows read from disk.
    public private(set) var hits = 0
    /// Windows the teacher computed and this cache wrote.
    public private(set) var writes = 0
    /// Window files found unreadable or describing something else, recomputed and overwritten.
    public private(set) var rebuilt = 0

    private static let magic = Array("LMZTEACH".utf8)
    private static let version: UInt32 = 1
    /// Entries stored per position: whole rows for held-out windows (the evaluation then sees the
    /// teacher as an uncached run does, to half precision), else `topK`.
    private func kept(heldOut: Bool) -> Int {
        heldOut || settings.topK == 0 || settings.topK > settings.vocabulary ? settings.vocabulary : settings.topK
    }

    /// Opens (creating) the cache for `settings` under `root`.
    public init(root: String, settings: Settings) throws {
        guard settings.window > 0, settings.vocabulary > 0, settings.topK >= 0 else {
            throw TrainingError.badOption(name: "teacher-cache", value: root, reason: "window, vocabulary must be positive and top-k not negative")
        }
        self.settings = settings
        directory = Paths.join(root, SHA256.hexDigest(of: Array(settings.description.utf8)))
        try TrainedModelDirectory.create(directory)
        let keyPath = Paths.join(directory, "key.json")
        if !Paths.exists(keyPath) {
            let key: JSONObject = JSONObject([
                ("teacher", .string(settings.teacher)), ("corpus_sha256", .string(settings.corpus)), ("window", .int(settings.window)),
                ("vocabulary", .int(settings.vocabulary)), ("top_k", .int(settings.topK)), ("format", .string("f16 log-probs, version \(Self.version)")),
            ])
            try TrainedModelDirectory.writeJSON(.object(key), to: keyPath)
        }
    }

    /// The identity of the model at `path` for a cache key: the sha256 of its file, or of each regular
    /// file of its directory (sorted by name) with the names.
    public static func fingerprint(ofModelAt path: String) throws -> String {
        guard Paths.isDirectory(path) else { return try SHA256.hexDigest(ofFile: path) }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        var parts: [String] = []
        for name in names where !Paths.isDirectory(Paths.join(path, name)) {
            parts.append("\(name):\(try SHA256.hexDigest(ofFile: Paths.join(path, name)))")
        }
        return SHA256.hexDigest(of: Array(parts.joined(separator: "\n").utf8))
    }

    /// The log-probabilities (T, V) at temperature 1 after each prefix of the window at `start` of the
    /// corpus's training part (`heldOut`: of its held-out part), `inputs` (T ids): read from disk, else
    /// `compute()` (the teacher), stored, and returned as read back (so that a first and a later run
    /// see the same numbers).
    public func logProbs(start: Int, heldOut: Bool = false, inputs: [Int], compute: () throws -> [Float]) throws -> [Float] {
        let path = Paths.join(directory, "\(heldOut ? "h" : "w")\(start).bin")
        if Paths.exists(path) {
            if let data = FileManager.default.contents(atPath: path), let rows = decode(Array(data), start: start, inputs: inputs, k: kept(heldOut: heldOut)) {
                hits += 1
                return rows
            }
            rebuilt += 1
        }
        let full = try compute()
        let (T, V) = (inputs.count, settings.vocabulary)
        guard full.count == T * V else {
            throw TrainingError.incompatibleTeacher("returned \(full.count) log-probabilities for \(T) positions of \(V) ids")
        }
        let bytes = encode(full, start: start, inputs: inputs, k: kept(heldOut: heldOut))
        try AtomicFileWriter.write(bytes, to: path)
        writes += 1
        guard let rows = decode(bytes, start: start, inputs: inputs, k: kept(heldOut: heldOut)) else {
            throw TrainingError.badCheckpoint(path: path, reason: "a teacher cache entry does not read back")
        }
        return rows
    }

    private func encode(_ rows: [Float], start: Int, inputs: [Int], k: Int) -> [UInt8] {
        let (T, V) = (inputs.count, settings.vocabulary)
        var out = Self.magic
        func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        func put16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        for value in [Self.version, UInt32(T), UInt32(V), UInt32(k)] { put32(value) }
        withUnsafeBytes(of: UInt64(start).littleEndian) { out.append(contentsOf: $0) }
        for id in inputs { put32(UInt32(id)) }
        var halves: [UInt16] = []
        halves.reserveCapacity(T * k)
        for t in 0..<T {
            let row = rows[(t * V)..<((t + 1) * V)]
            let ids = k == V ? Array(0..<V) : Self.largest(row, k: k)
            for id in ids {
                if k < V { put32(UInt32(id)) }  // whole rows: ids implied
                halves.append(Float16(max(row[t * V + id], -65000)).bitPattern)
            }
        }
        for half in halves { put16(half) }
        out.append(contentsOf: SHA256.hexDigest(of: out).utf8)
        return out
    }

    /// Ids of the `k` largest entries of `row` (largest first, ties: lower id first, as ``TopK``), by
    /// one sort of packed (order-preserving value bits, id) keys: several times faster than sorting
    /// indices with a comparison closure when k is in the hundreds.
    public static func largest(_ row: ArraySlice<Float>, k: Int) -> [Int] {
        let base = row.startIndex
        var keys = row.indices.map { i -> UInt64 in
            let bits = row[i].bitPattern
            let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
            return UInt64(ordered) << 32 | UInt64(UInt32.max - UInt32(i - base))
        }
        keys.sort(by: >)
        return keys.prefix(k).map { Int(UInt32.max - UInt32(truncatingIfNeeded: $0)) }
    }

    /// The rows of a window file's bytes, or nil when they are not a valid entry for this window.
    private func decode(_ bytes: [UInt8], start: Int, inputs: [Int], k: Int) -> [Float]? {
        let (T, V) = (inputs.count, settings.vocabulary)
        let idBytes = k < V ? 4 : 0
        let headerSize = 8 + 16 + 8, payload = headerSize + 4 * T + T * k * (idBytes + 2)
        guard bytes.count == payload + 64, Array(bytes[0..<8]) == Self.magic,
              String(decoding: bytes[payload...], as: UTF8.self) == SHA256.hexDigest(of: Array(bytes[..<payload]))
        else { return nil }
        return bytes.withUnsafeBytes { raw -> [Float]? in
            func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
            guard u32(8) == Self.version, u32(12) == UInt32(T), u32(16) == UInt32(V), u32(20) == UInt32(k),
                  u32(24) == UInt32(truncatingIfNeeded: start), u32(28) == UInt32(truncatingIfNeeded: UInt64(start) >> 32),
                  (0..<T).allSatisfy({ u32(headerSize + 4 * $0) == UInt32(truncatingIfNeeded: inputs[$0]) })
            else { return nil }
            let idsAt = headerSize + 4 * T, halvesAt = idsAt + idBytes * T * k
            var raw32 = [Float](repeating: 0, count: T * V)
            var seen = [Bool](repeating: false, count: V)
            for t in 0..<T {
                var keptMass = 0.0
                if k < V { for id in 0..<V { seen[id] = false } }
                for j in 0..<k {
                    let id = k < V ? Int(u32(idsAt + 4 * (t * k + j))) : j
                    let half = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: halvesAt + 2 * (t * k + j), as: UInt16.self))
                    let value = Float(Float16(bitPattern: half))
                    guard id < V, value.isFinite else { return nil }
                    if k < V {
                        guard !seen[id] else { return nil }
                        seen[id] = true
                        keptMass += Double(exp(value))
                    }
                    raw32[t * V + id] = value
                }
                if k < V {
                    let tail = Float(log(max(1 - keptMass, 1e-12) / Double(V - k)))
                    for id in 0..<V where !seen[id] { raw32[t * V + id] = tail }
                }
            }
            return raw32
        }.map { raw32 in
            var rows = [Float](repeating: 0, count: T * V)
            CrossEntropyKernel.logSoftmax(raw32, rows: T, vocabulary: V, into: &rows)
            return rows
        }
    }
}
