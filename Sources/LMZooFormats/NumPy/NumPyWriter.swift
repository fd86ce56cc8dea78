import LMZooCore

/// Writes `.npz` archives as `np.savez` does (one stored member `NAME.npy` per tensor) and single
/// `.npy` files as `np.save` does: C order, little-endian, a version 1.0 header (2.0 when it does
/// not fit in 64 KiB) padded with spaces and a newline so that the data starts on a 64-byte
/// boundary, exactly as NumPy's `_write_array_header` lays it out.
///
/// Tensor bytes are streamed (converted to the target dtype in bounded chunks by
/// ``TensorStreaming``) into a temporary file that replaces the destination when complete.
/// `.npz` members are also placed at 64-byte offsets in the archive, so that every array's data
/// is 64-byte aligned in the file.
///
/// NumPy files have no place for metadata: the store's metadata is dropped. Tied tensors (one
/// storage under two names) are written in full under every name, whatever
/// ``WriteOptions/sharedTensors`` says: NumPy has no way to record an alias.
public enum NumPyWriter {
    /// Writes every tensor of `store` into an `.npz` archive at `path`, atomically.
    @discardableResult
    public static func writeNPZ(_ store: TensorStore, to path: String, options: WriteOptions = WriteOptions()) throws -> WriteSummary {
        let items = try LocatedError.at(path) { try plan(store, options: options) }
        return try LocatedError.at(path) {
            let zip = try ZipWriter(destination: path)
            for item in items {
                try zip.addEntry(name: item.name + ".npy", size: item.header.count + item.byteCount, alignment: 64) { sink in
                    try item.header.withUnsafeBytes { try sink($0) }
                    try TensorStreaming.forEachChunk(of: item.tensor, as: item.dtype) { try sink($0) }
                }
            }
            let size = try zip.finish()
            return WriteSummary(path: path, tensorCount: items.count, byteCount: size)
        }
    }

    /// Writes the single tensor of `store` as a `.npy` file at `path`, atomically.
    @discardableResult
    public static func writeNPY(_ store: TensorStore, to path: String, options: WriteOptions = WriteOptions()) throws -> WriteSummary {
        let items = try LocatedError.at(path) { () throws -> [Item] in
            guard store.count == 1 else { throw NumPyError.npyNeedsOneTensor(count: store.count) }
            return try plan(store, options: options)
        }
        let writer = try AtomicFileWriter(destination: path)
        try writer.write(items[0].header)
        try TensorStreaming.write(items[0].tensor, as: items[0].dtype, to: writer)
        try writer.commit()
        return WriteSummary(path: path, tensorCount: 1, byteCount: writer.bytesWritten)
    }

    /// One array to write.
    struct Item {
        let name: String
        let tensor: Tensor
        let dtype: DType
        let header: [UInt8]
        let byteCount: Int
    }

    /// What will be written, checked before the destination is touched.
    static func plan(_ store: TensorStore, options: WriteOptions) throws -> [Item] {
        try store.entries.map { name, tensor in
            let dtype = options.targetDType(for: tensor.dtype)
            guard let descr = NumPyDescr.descr(for: dtype) else { throw NumPyError.cannotHold(tensor: name, dtype: dtype) }
            guard let byteCount = dtype.byteCount(forShape: tensor.shape) else {
                throw TensorError.shapeOverflow(shape: tensor.shape, dtype: dtype)
            }
            return Item(name: name, tensor: tensor, dtype: dtype, header: header(descr: descr, shape: tensor.shape), byteCount: byteCount)
        }
    }

    /// The magic string, version, length and padded header dict NumPy writes for a C-order array.
    static func header(descr: String, shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // NumPy leaves room to grow the first axis in place: GROWTH_AXIS_MAX_DIGITS (21) - len(repr(shape[0])).
        if let first = shape.first { dict += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        let text = Array(dict.utf8)
        // The dict, spaces and a newline end on a 64-byte boundary; NumPy pads a full 64 bytes when
        // already aligned. Version 1.0 has a u16 length; NumPy falls back to 2.0 (u32) beyond it.
        func paddedLength(prefixSize: Int) -> Int { text.count + 1 + 64 - (prefixSize + text.count + 1) % 64 }
        let major: UInt8 = paddedLength(prefixSize: 10) <= Int(UInt16.max) ? 1 : 2
        let length = paddedLength(prefixSize: major == 1 ? 10 : 12)
        let padding = length - text.count - 1
        var bytes = NumPyHeader.magic + [major, 0]
        bytes += major == 1 ? withUnsafeBytes(of: UInt16(length).littleEndian, Array.init)
                            : withUnsafeBytes(of: UInt32(length).littleEndian, Array.init)
        return bytes + text + [UInt8](repeating: UInt8(ascii: " "), count: padding) + [UInt8(ascii: "\n")]
    }
}
