import LMZooCore

/// PyTorch zip checkpoints (`torch.save` since torch 1.6): `.bin` (`pytorch_model.bin`), `.pt`, `.pth`.
public struct TorchFormat: CheckpointFormat {
    public init() {}
    public var name: String { "torch" }
    public var fileExtensions: [String] { ["bin", "pt", "pth"] }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    /// A zip whose first member is `<folder>/data.pkl` (torch.save writes it first), or a legacy
    /// torch checkpoint (recognized so that reading it says how to convert it).
    public func recognizes(prefix: UnsafeRawBufferPointer) -> Bool {
        TorchReader.startsLikeTorchZip(prefix: prefix) || TorchReader.isLegacy(prefix: prefix)
    }

    /// Every element type: the legacy typed storages, and untyped storages for U16/U32/U64.
    public func canHold(_ dtype: DType) -> Bool { !dtype.isBlockQuantized }

    public func read(path: String) throws -> TensorStore { try TorchReader.read(path: path) }

    public func write(_ store: TensorStore, to path: String, options: WriteOptions) throws -> WriteSummary {
        try TorchWriter.write(store, to: path, options: options)
    }
}
