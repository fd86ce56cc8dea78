/// Every size limit lmzoo's readers apply to untrusted files, in one place. Each reader checks its
/// limits before it allocates anything sized from a header, and refuses with a typed error that
/// names the file and the rule. Readers whose limits a caller may lower (zip, pickle, HDF5) take a
/// limits struct whose defaults are these values; tests lower them to exercise the checks cheaply.
///
/// The limits are far above any real checkpoint's needs (a 70B-parameter safetensors header is about
/// 100 KB) and far below what would exhaust a machine.
public enum ReaderLimits {
    // MARK: headers and metadata

    /// safetensors: largest JSON header (the reference implementation's `MAX_HEADER_SIZE`).
    public static let safetensorsHeaderBytes = 100_000_000
    /// Sharded safetensors: largest `model.safetensors.index.json`.
    public static let shardIndexBytes = 64 << 20
    /// `.npy`: largest header (NumPy itself reads at most 10,000 bytes unless told otherwise).
    public static let npyHeaderBytes = 1 << 20
    /// `.npy`: deepest nesting of the header's Python literal.
    public static let npyHeaderNesting = 32
    /// GGUF: deepest nesting of array values (llama.cpp accepts none; gguf-py writes any).
    public static let ggufArrayNesting = 16
    /// GGUF: most tensor infos in one file (also bounded by the bytes that remain: 24 per info).
    public static let ggufTensorCount = 1 << 22
    /// Small JSON files read whole (`config.json`, `generation_config.json`).
    public static let jsonFileBytes = 16 << 20
    /// Tokenizer files (`tokenizer.json`, `vocab.json`, `merges.txt`, `vocab.txt`).
    public static let vocabularyFileBytes = 256 << 20
    /// `.keras` archives: largest `config.json` / `metadata.json` member.
    public static let kerasJSONBytes = 64 << 20
    /// JSON everywhere (headers, configs, tokenizers): deepest nesting of arrays and objects.
    public static let jsonNesting = 128

    // MARK: compressed data (zip members, gzip files)

    /// Zip: most entries in one archive (also bounded by the central directory's size: 46 bytes each).
    public static let zipEntries = 1_000_000
    /// Zip: largest single member lmzoo inflates into memory.
    public static let inflatedEntryBytes = 16 << 30
    /// Zip: largest sum of the declared sizes of all deflated members of one archive.
    public static let inflatedTotalBytes = 32 << 30
    /// Zip members and gzip files: most bytes out per compressed byte in, once the output passes
    /// ``compressionRatioGraceBytes``. Deflate can reach about 1032:1 (runs of one byte); weights,
    /// text and pickles compress 1-10:1, so 200:1 refuses bombs, not checkpoints.
    public static let compressionRatio = 200
    /// Output size below which the ratio is not checked (small members such as JSON compress well).
    public static let compressionRatioGraceBytes = 16 << 20
    /// ARPA text (plain, or gzip after inflating): largest file.
    public static let arpaBytes = 1 << 36

    // MARK: PyTorch pickles (defaults of `PickleLimits` / `TorchReadLimits`)

    /// Largest `data.pkl` interpreted.
    public static let pickleBytes = 1 << 30
    /// Deepest pickle stack.
    public static let pickleStackDepth = 1 << 20
    /// Deepest MARK nesting.
    public static let pickleMarkDepth = 1 << 12
    /// Most memo entries.
    public static let pickleMemoEntries = 1 << 22
    /// Longest GLOBAL module/name line.
    public static let pickleGlobalNameLength = 1024
    /// Deepest nesting of dicts and lists around a tensor.
    public static let pickleContainerNesting = 64
    /// Most tensors, metadata entries and containers visited while flattening a state dict.
    public static let pickleFlattenedEntries = 1 << 22
    /// Copies of strided or byte-swapped views: at most `max(factor x file size, minimum)` bytes.
    public static let viewCopyFactor = 4
    public static let viewCopyMinimumBytes = 1 << 30

    // MARK: HDF5 (defaults of `HDF5Limits`)

    /// Largest dataset read.
    public static let hdf5DatasetBytes = 16 << 30
    /// Most links, datasets and attribute values visited in one file.
    public static let hdf5Objects = 1_000_000
    /// Largest string attribute (all its values).
    public static let hdf5AttributeBytes = 64 << 20
    /// Filtered datasets over this many bytes may expand at most ``hdf5MaxExpansion`` times (Keras's rule).
    public static let hdf5BombFloorBytes = 1 << 32
    public static let hdf5MaxExpansion = 1000

    /// The most bytes `compressed` input bytes may inflate to under the ratio rule.
    public static func maxInflatedBytes(fromCompressed compressed: Int) -> Int {
        let (product, overflow) = compressed.multipliedReportingOverflow(by: compressionRatio)
        return overflow ? Int.max : max(compressionRatioGraceBytes, product)
    }
}
