import LMZooCore

/// GGUF (llama.cpp), versions 2 and 3, little-endian. See ``GGUFReader`` and ``GGUFWriter``.
public struct GGUFFormat: CheckpointFormat {
    public init() {}
    public var name: String { "gguf" }
    public var fileExtensions: [String] { ["gguf"] }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    /// The magic `GGUF`.
    public func recognizes(prefix: UnsafeRawBufferPointer) -> Bool {
        prefix.count >= 4 && prefix.prefix(4).elementsEqual("GGUF".utf8)
    }

    /// F32 F16 BF16 F64 I8 I16 I32 I64 and every ``BlockQuantization`` type (one without a quantiser,
    /// as Q4_0, is written as it is; lmzoo does not quantize to it).
    public func canHold(_ dtype: DType) -> Bool { GGUFWriter.canHold(dtype) }

    public func read(path: String) throws -> TensorStore { try GGUFReader.read(path: path) }

    public func write(_ store: TensorStore, to path: String, options: WriteOptions) throws -> WriteSummary {
        try GGUFWriter.write(store, to: path, options: options)
    }
}
