extension Tensor {
    /// This 2-D tensor with its dimensions swapped (`[r, c]` -> `[c, r]`), computed when its bytes
    /// are read (a deferred tensor: see ``Tensor/deferred(dtype:shape:produce:)``).
    public func transposed2D() throws -> Tensor {
        guard shape.count == 2, !dtype.isBlockQuantized else {
            throw LayoutError.notTwoDimensional(Shape.describe(shape) + " " + dtype.rawValue)
        }
        let source = self
        return try Tensor.deferred(dtype: dtype, shape: [shape[1], shape[0]]) { source.materializedTranspose() }
    }

    /// The transpose of a 2-D tensor as an owned tensor, copied in cache-sized tiles.
    func materializedTranspose() -> Tensor {
        let (rows, columns) = (shape[0], shape[1])
        let result = try! Tensor(zeros: dtype, shape: [columns, rows])
        let destination = result.buffer.mutableBytes!.baseAddress!
        withUnsafeBytes { source in
            guard let src = source.baseAddress else { return }
            switch dtype.byteSize {
            case 1: Self.transpose(src, destination, rows, columns, as: UInt8.self)
            case 2: Self.transpose(src, destination, rows, columns, as: UInt16.self)
            case 4: Self.transpose(src, destination, rows, columns, as: UInt32.self)
            default: Self.transpose(src, destination, rows, columns, as: UInt64.self)
            }
        }
        return result
    }

    // (r, c) -> (c, r) in 32 x 32 tiles so that both sides stay in cache.
    private static func transpose<T>(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _ rows: Int, _ columns: Int, as _: T.Type) {
        let size = MemoryLayout<T>.size
        let tile = 32
        for r0 in stride(from: 0, to: rows, by: tile) {
            for c0 in stride(from: 0, to: columns, by: tile) {
                for r in r0..<min(r0 + tile, rows) {
                    for c in c0..<min(c0 + tile, columns) {
                        dst.storeBytes(of: src.loadUnaligned(fromByteOffset: (r * columns + c) * size, as: T.self),
                                       toByteOffset: (c * rows + r) * size, as: T.self)
                    }
                }
            }
        }
    }

    /// The element-wise sum of two tensors of one shape, in this tensor's dtype (computed in f32).
    public func adding(_ other: Tensor) throws -> Tensor {
        guard shape == other.shape else { throw LayoutError.inconsistent("cannot add \(Shape.describe(shape)) and \(Shape.describe(other.shape))") }
        let sum = zip(floats(), other.floats()).map { $0 + $1 }
        return try Tensor(shape: shape, floats: sum).converted(to: dtype)
    }
}
