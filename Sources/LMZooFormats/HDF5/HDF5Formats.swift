import LMZooCore

/// HDF5 files (`.h5`, `.hdf5`): generic HDF5, Keras 3 `.weights.h5` and legacy Keras 2 h5.
public struct HDF5Format: CheckpointFormat {
    public init() {}
    public var name: String { "h5" }
    public var fileExtensions: [String] { ["h5", "hdf5"] }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    /// HDF5's superblock signature at offset 0 (files with a user block are found by extension).
    public static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    public func recognizes(prefix: UnsafeRawBufferPointer) -> Bool {
        prefix.count >= 8 && prefix.prefix(8).elementsEqual(Self.signature)
    }

    public func read(path: String) throws -> TensorStore { try HDF5Reader.read(path: path) }

    public func write(_ store: TensorStore, to path: String, options: WriteOptions) throws -> WriteSummary {
        try HDF5Writer.write(store, to: path, options: options)
    }
}

/// Keras 3 `.keras` archives (zip of `metadata.json`, `config.json`, `model.weights.h5`).
public struct KerasFormat: CheckpointFormat {
    public init() {}
    public var name: String { "keras" }
    public var fileExtensions: [String] { ["keras"] }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    /// A zip whose first member is one of a `.keras` archive's members (Keras and lmzoo write
    /// `metadata.json` first); the members themselves are checked when reading.
    public func recognizes(prefix: UnsafeRawBufferPointer) -> Bool {
        guard prefix.count >= 30, prefix.prefix(4).elementsEqual([0x50, 0x4B, 0x03, 0x04]) else { return false }
        let nameLength = Int(prefix[26]) | Int(prefix[27]) << 8
        guard 30 + nameLength <= prefix.count else { return false }
        let name = String(decoding: prefix[30..<(30 + nameLength)], as: UTF8.self)
        return [KerasArchive.metadataMember, KerasArchive.configMember, KerasArchive.weightsMember].contains(name)
    }

    public func read(path: String) throws -> TensorStore { try KerasArchive.read(path: path) }

    public func write(_ store: TensorStore, to path: String, options: WriteOptions) throws -> WriteSummary {
        try KerasArchive.write(store, to: path, options: options)
    }
}
