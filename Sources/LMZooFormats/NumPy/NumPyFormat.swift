import LMZooCore

/// NumPy's containers: `.npz` archives (`np.savez`, `np.savez_compressed`) and single-array
/// `.npy` files (`np.save`). Two entries of ``CheckpointFormats/all``, `npz` and `npy`.
///
/// NumPy can hold every element type but BF16 (no NumPy dtype) and the block types Q8_0 / Q4_0;
/// writing them needs `--dtype`. Metadata cannot be stored and is dropped on write (see
/// ``NumPyWriter``). A `.npy` file holds one array, named after the file when read.
public struct NumPyFormat: CheckpointFormat {
    /// Which of NumPy's two containers.
    public enum Container: String, Sendable {
        case npz, npy
    }

    public let container: Container

    public init(_ container: Container) { self.container = container }

    public var name: String { container.rawValue }
    public var fileExtensions: [String] { [container.rawValue] }
    public var canRead: Bool { true }
    public var canWrite: Bool { true }

    /// `.npy`: the magic string `\x93NUMPY`. `.npz`: a zip whose first member (as far as the prefix
    /// shows it) is named `*.npy`. Other zips (PyTorch `.bin`, Keras `.keras`) are not claimed; an
    /// `.npz` whose first member name does not fit in the prefix is found by its extension.
    public func recognizes(prefix: UnsafeRawBufferPointer) -> Bool {
        switch container {
        case .npy:
            return prefix.count >= NumPyHeader.magic.count && prefix.prefix(NumPyHeader.magic.count).elementsEqual(NumPyHeader.magic)
        case .npz:
            return Self.firstZipMemberIsNPY(prefix)
        }
    }

    public func canHold(_ dtype: DType) -> Bool { NumPyDescr.descr(for: dtype) != nil }

    public func read(path: String) throws -> TensorStore {
        switch container {
        case .npz: try NumPyReader.readNPZ(path: path)
        case .npy: try NumPyReader.readNPY(path: path)
        }
    }

    public func write(_ store: TensorStore, to path: String, options: WriteOptions) throws -> WriteSummary {
        switch container {
        case .npz: try NumPyWriter.writeNPZ(store, to: path, options: options)
        case .npy: try NumPyWriter.writeNPY(store, to: path, options: options)
        }
    }

    /// A zip local file header (`PK\x03\x04`) at offset 0 whose name (at offset 30, length at 26)
    /// lies inside `prefix` and ends with `.npy`.
    static func firstZipMemberIsNPY(_ prefix: UnsafeRawBufferPointer) -> Bool {
        guard prefix.count >= 30, prefix.prefix(4).elementsEqual([0x50, 0x4B, 0x03, 0x04]) else { return false }
        let nameLength = Int(UInt16(littleEndian: prefix.loadUnaligned(fromByteOffset: 26, as: UInt16.self)))
        guard nameLength > 4, nameLength <= prefix.count - 30 else { return false }
        return prefix[(30 + nameLength - 4)..<(30 + nameLength)].elementsEqual(".npy".utf8)
    }
}
