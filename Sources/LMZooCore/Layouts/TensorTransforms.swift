extension Tensor {
    /// An owned copy of this 2-D tensor with its dimensions swapped (`[r, c]` -> `[c, r]`).
    public func transposed2D() throws -> Tensor {
        guard shape.count == 2, !dtype.isBlockQuantized else {
            throw LayoutError.notTwoDimensional(Shape.describe(shape) + " " + dtype.rawValue)
        }
        let (rows, columns) = (shape[0], shape[1])
        let result = try Tensor(zeros: dtype, shape: [columns, rows])
        let size = dtype.byteSize
        let destination = result.buffer.mutableBytes!.baseAddress!
        withUnsafeBytes { source in
            guard let src = source.baseAddress else { return }
            // (r, c) -> (c, r), in tiles so both sides stay in cache.
            let tile = 32
            for r0 in stride(from: 0, to: rows, by: tile) {
                for c0 in stride(from: 0, to: columns, by: tile) {
                    for r in r0..<min(r0 + tile, rows) {
                        for c in c0..<min(c0 + tile, columns) {
                            (destination + (c * rows + r) * size).copyMemory(from: src + (r * columns + c) * size, byteCount: size)
                        }
                    }
                }
            }
        }
        return result
    }

    /// The element-wise sum of two tensors of one shape, in this tensor's dtype (computed in f32).
    public func adding(_ other: Tensor) throws -> Tensor {
        guard shape == other.shape else { throw LayoutError.inconsistent("cannot add \(Shape.describe(shape)) and \(Shape.describe(other.shape))") }
        let sum = zip(floats(), other.floats()).map { $0 + $1 }
        return try Tensor(shape: shape, floats: sum).converted(to: dtype)
    }
}
