import LMZooCore

/// Writes GGUF v3 files laid out as gguf-py's `GGUFWriter` lays them out: header, key/values in
/// the given order, tensor infos in store order, zero padding to the alignment, then each tensor's
/// bytes followed by zero padding to the alignment (after the last one too). Rewriting a file
/// that gguf-py wrote therefore gives the same bytes. The file is streamed tensor by tensor into
/// a temporary file and renamed into place (see ``AtomicFileWriter``).
///
/// Dtypes (``targetDType(for:options:)``): with `WriteOptions.dtype` a block type
/// (``BlockQuantization``, e.g. `.q8_0`), float tensors of 2 or more dimensions whose last
/// (innermost, GGUF `ne[0]`) dimension is a whole number of blocks become that type, quantized by
/// its table entry (Q8_0: llama.cpp's `quantize_row_q8_0_ref`); other float tensors of 2+
/// dimensions become F16 and 0-d/1-d float tensors (biases, norms) F32, as llama.cpp's
/// `convert_hf_to_gguf.py` does; tensors already in that type and integer tensors are kept. Any
/// other `dtype` converts float tensors as every writer does. GGUF holds F32 F16 BF16 F64 I8 I16 I32
/// I64 and every block type of ``BlockQuantization``; BOOL and unsigned integer tensors are refused.
///
/// Alignment: `general.alignment` (UINT32, a power of two) when the metadata has it, else 32.
/// Tensor names are written as given (llama.cpp itself refuses names of 64 bytes or more).
public enum GGUFWriter {
    /// Writes `store` to `path` atomically with its own metadata: the typed key/values a GGUF
    /// reader kept in `formatExtras` (``GGUFReader/keyValuesExtra``) when present, else every
    /// `store.metadata` entry as a STRING key/value, sorted by key.
    @discardableResult
    public static func write(_ store: TensorStore, to path: String, options: WriteOptions = WriteOptions()) throws -> WriteSummary {
        try write(store, metadata: keyValues(for: store), to: path, options: options)
    }

    /// Writes `store`'s tensors to `path` atomically with exactly `metadata` as key/values, in
    /// order (`store.metadata` and `formatExtras` are ignored). This is the call for converters
    /// that must write `general.architecture`, `<arch>.context_length`, `tokenizer.ggml.tokens` and
    /// so on with their GGUF types:
    ///
    ///     try GGUFWriter.write(store, metadata: [
    ///         GGUFKeyValue("general.architecture", .string("gpt2")),
    ///         GGUFKeyValue("gpt2.context_length", .uint32(1024)),
    ///         GGUFKeyValue("tokenizer.ggml.tokens", .array(.string(tokens))),
    ///     ], to: "model.gguf", options: WriteOptions(dtype: .q8_0))
    ///
    /// Throws (before creating any file) ``GGUFError`` for duplicate keys, a bad `general.alignment`,
    /// arrays nested too deep, tensors of more than 4 dimensions, block-quantised rows that are not whole
    /// blocks, or aliases under `--shared once`; `FormatCapabilityError` for dtypes GGUF cannot hold.
    @discardableResult
    public static func write(
        _ store: TensorStore, metadata: [GGUFKeyValue], to path: String, options: WriteOptions = WriteOptions()
    ) throws -> WriteSummary {
        let (alignment, entries) = try LocatedError.at(path) { try plan(store, metadata: metadata, options: options) }
        let writer = try GGUFFileWriter(destination: path, alignment: alignment)
        try writer.writeHeader(tensorCount: entries.count, keyValueCount: metadata.count)
        try writer.writeKeyValues(metadata)
        try writer.writeTensorInfos(entries)
        for entry in entries {
            try LocatedError.at(path) { try writer.writeTensorData(entry) }
        }
        try writer.commit()
        return WriteSummary(path: path, tensorCount: entries.count, byteCount: writer.bytesWritten)
    }

    /// The key/values ``write(_:to:options:)`` writes for `store`: its typed GGUF key/values, or
    /// its string metadata as STRING key/values, except `general.alignment`, which becomes the
    /// UINT32 it must be when the text is a number (a GGUF -> safetensors -> GGUF trip keeps it).
    public static func keyValues(for store: TensorStore) -> [GGUFKeyValue] {
        if let typed = GGUFReader.keyValues(of: store) { return typed }
        return store.metadata.sorted { $0.key < $1.key }.map { key, text in
            if key == GGUFHeader.alignmentKey, let alignment = UInt32(text) { return GGUFKeyValue(key, .uint32(alignment)) }
            return GGUFKeyValue(key, .string(text))
        }
    }

    /// The dtype `tensor` is written as under `options` (see the type's documentation).
    public static func targetDType(for tensor: Tensor, options: WriteOptions) -> DType {
        guard let target = options.dtype, target.isBlockQuantized, tensor.dtype.isFloatingPoint else {
            return options.targetDType(for: tensor.dtype)
        }
        if tensor.dtype == target { return target }
        guard tensor.shape.count >= 2 else { return .f32 }
        return tensor.shape[tensor.shape.count - 1] % target.blockSize == 0 ? target : .f16
    }

    /// True for the dtypes a GGUF file can hold.
    public static func canHold(_ dtype: DType) -> Bool { GGMLType.id(of: dtype) != nil }

    /// Checks everything that can be checked before the file is created.
    static func plan(
        _ store: TensorStore, metadata: [GGUFKeyValue], options: WriteOptions
    ) throws -> (alignment: Int, entries: [GGUFFileWriter.TensorEntry]) {
        var keys = Set<String>()
        for entry in metadata {
            guard keys.insert(entry.key).inserted else { throw GGUFError.duplicateKey(entry.key) }
            if case let .array(array) = entry.value, array.depth > GGUFHeader.maxArrayDepth {
                throw GGUFError.arrayTooDeep(key: entry.key)
            }
        }
        let alignment = try GGUFHeader.alignment(of: metadata)
        if options.sharedTensors == .writeOnce {
            let aliases = store.aliases()
            if !aliases.isEmpty { throw GGUFError.aliasesUnsupported(aliases.map(\.alias)) }
        }
        var entries: [GGUFFileWriter.TensorEntry] = []
        entries.reserveCapacity(store.count)
        for (name, tensor) in store.entries {
            let dtype = targetDType(for: tensor, options: options)
            guard let typeID = GGMLType.id(of: dtype) else { throw FormatCapabilityError.cannotHold(format: "gguf", dtype: dtype) }
            guard tensor.shape.count <= GGUFHeader.maxDimensions else {
                throw GGUFError.tooManyDimensions(tensor: name, count: tensor.shape.count)
            }
            let rowLength = tensor.shape.last ?? 1
            guard rowLength % dtype.blockSize == 0 else {
                throw GGUFError.rowNotWholeBlocks(tensor: name, rowLength: rowLength, blockSize: dtype.blockSize)
            }
            guard dtype == tensor.dtype || DTypeConversion.canConvert(from: tensor.dtype, to: dtype) else {
                throw TensorError.unsupportedConversion(from: tensor.dtype, to: dtype)
            }
            guard let byteCount = dtype.byteCount(forShape: tensor.shape) else { throw GGUFError.shapeOverflow(tensor: name) }
            entries.append(.init(name: name, tensor: tensor, dtype: dtype, typeID: typeID, byteCount: byteCount))
        }
        return (alignment, entries)
    }
}
