/// Bytes that back one or more tensors: either memory lmzoo owns, or a (read-only) region of a
/// memory-mapped file, shared zero-copy by every tensor that is a view into it.
public final class TensorBuffer: @unchecked Sendable {
    /// All bytes of the buffer.
    public let bytes: UnsafeRawBufferPointer
    /// The file this buffer maps, or nil for owned memory.
    public let mappedFile: MappedFile?
    private let ownedStorage: UnsafeMutableRawPointer?

    /// Allocates `byteCount` zeroed, 64-byte-aligned bytes.
    public init(zeroedByteCount byteCount: Int) {
        precondition(byteCount >= 0, "negative byte count")
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
        ownedStorage = storage
        mappedFile = nil
        bytes = UnsafeRawBufferPointer(start: storage, count: byteCount)
    }

    /// Wraps a mapped file; tensors made from it are views (no copy).
    public init(mapping file: MappedFile) {
        ownedStorage = nil
        mappedFile = file
        bytes = file.bytes
    }

    /// Writable bytes of an owned buffer (nil for a mapped, read-only one).
    public var mutableBytes: UnsafeMutableRawBufferPointer? {
        ownedStorage.map { UnsafeMutableRawBufferPointer(start: $0, count: bytes.count) }
    }

    deinit { ownedStorage?.deallocate() }
}
