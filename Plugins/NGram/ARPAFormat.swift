import LMZooCore
import LMZooFormats

/// ARPA text (`.arpa`, `.arpa.gz`) as a checkpoint format, so that `lmzoo convert x.arpa
/// x.safetensors` (and back) and `lmzoo inspect x.arpa` work: reading gives the tables of
/// ``NGramBinary``; writing takes them (from lmzoo's safetensors form) and writes ARPA text.
public struct ARPAFormat: CheckpointFormat {
    public init() {}
    public var name: String { "arpa" }
    public var fileExtensions: [String] { ["arpa", "gz"] }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    /// ARPA text starting with `\data\` (after blank lines), or any gzip stream (the only
    /// gzip-compressed checkpoint lmzoo reads is ARPA).
    public func recognizes(prefix: UnsafeRawBufferPointer) -> Bool {
        if prefix.count >= 2, prefix[0] == 0x1F, prefix[1] == 0x8B { return true }
        var i = 0
        while i < prefix.count, prefix[i] == 0x20 || prefix[i] == 0x0A || prefix[i] == 0x0D || prefix[i] == 0x09 { i += 1 }
        let marker = Array("\\data\\".utf8)
        return prefix.count - i >= marker.count && prefix[i..<(i + marker.count)].elementsEqual(marker)
    }

    public func read(path: String) throws -> TensorStore {
        try LocatedError.at(path) { try NGramBinary.store(try ARPAReader.read(path: path)) }
    }

    /// An n-gram model's parameters (``NGramTables/parameterCount(counts:)``), in ARPA or lmzoo's binary form.
    public func parameterCount(of store: TensorStore) -> Int? {
        guard NGramBinary.recognizes(store) else { return nil }
        var counts: [Int] = []
        while let prob = store["ngram.\(counts.count + 1).prob"] { counts.append(prob.elementCount) }
        return NGramTables.parameterCount(counts: counts)
    }

    public func write(_ store: TensorStore, to path: String, options: WriteOptions) throws -> WriteSummary {
        guard NGramBinary.recognizes(store) else {
            throw LocatedError(path: path, ARPAError.badBinary("ARPA holds n-gram models only; these tensors are not one (no vocab.offsets / ngram.1.prob)"))
        }
        let tables = try NGramBinary.tables(from: store)
        try ARPAWriter.write(tables, to: path)
        let bytes = (try? MappedFile(path: path).count) ?? 0
        return WriteSummary(path: path, tensorCount: store.count, byteCount: bytes)
    }
}
