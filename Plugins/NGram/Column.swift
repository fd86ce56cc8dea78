import LMZooCore

/// A read-only array of plain values that either lmzoo owns (built by the ARPA reader or the
/// estimator) or that is a zero-copy view into a memory-mapped safetensors file. The n-gram tables
/// are columns, so that lmzoo's binary form loads without copying them.
final class Column<Element: BitwiseCopyable>: @unchecked Sendable {
    /// The values (valid as long as this column lives).
    let values: UnsafeBufferPointer<Element>
    private let owned: UnsafeMutableBufferPointer<Element>?
    /// Keeps a mapped file alive.
    private let keepAlive: AnyObject?

    /// Copies `array` into storage the column owns.
    init(_ array: [Element]) {
        let storage = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(array.count, 1))
        _ = storage.initialize(from: array)
        owned = storage
        values = UnsafeBufferPointer(rebasing: storage[0..<array.count])
        keepAlive = nil
    }

    /// Takes over `storage` (allocated by the caller with `allocate(capacity:)`), `count` values of it.
    init(adopting storage: UnsafeMutableBufferPointer<Element>, count: Int) {
        owned = storage
        values = UnsafeBufferPointer(rebasing: storage[0..<count])
        keepAlive = nil
    }

    /// A view of `tensor`'s bytes when they are suitably aligned, else a copy. The caller has
    /// checked the dtype and shape.
    init(tensor: Tensor) {
        let count = tensor.byteCount / MemoryLayout<Element>.stride
        let aligned = tensor.withUnsafeBytes { raw in
            raw.baseAddress.map { Int(bitPattern: $0) % MemoryLayout<Element>.alignment == 0 } ?? true
        }
        if aligned && !tensor.isDeferred {
            let base = tensor.withUnsafeBytes { $0.baseAddress }
            values = UnsafeBufferPointer(start: base?.assumingMemoryBound(to: Element.self), count: base == nil ? 0 : count)
            owned = nil
            keepAlive = tensor.buffer
        } else {
            let storage = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(count, 1))
            tensor.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(storage).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(count * MemoryLayout<Element>.stride)]))
            }
            owned = storage
            values = UnsafeBufferPointer(rebasing: storage[0..<count])
            keepAlive = nil
        }
    }

    var count: Int { values.count }
    subscript(index: Int) -> Element { values[index] }

    deinit { owned?.deallocate() }
}
