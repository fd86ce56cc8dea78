import LMZooCore

/// Reads NumPy's `.npy` files and `.npz` archives (as `np.save`, `np.savez` and
/// `np.savez_compressed` write them).
///
/// C-order little-endian arrays are zero-copy views into the memory map (stored `.npz` members
/// too); big-endian data is byte-swapped and Fortran-order data reordered into an owned copy;
/// deflated `.npz` members are inflated (through ``ZipArchive``) into owned memory.
public enum NumPyReader {
    /// The one array of the `.npy` file at `path`, named after the file (`wte.npy` -> `wte`).
    public static func readNPY(path: String) throws -> TensorStore {
        let file = try MappedFile(path: path)
        return try LocatedError.at(path) {
            let tensor = try tensor(in: TensorBuffer(mapping: file), at: 0, count: file.count)
            var store = TensorStore()
            try store.add(arrayName(ofFile: Paths.fileName(of: path)), tensor)
            return store
        }
    }

    /// Every `NAME.npy` member of the `.npz` archive at `path` as a tensor `NAME`, in archive
    /// order; other members are ignored.
    public static func readNPZ(path: String) throws -> TensorStore {
        let archive = try ZipArchive(path: path)
        let mapped = TensorBuffer(mapping: archive.file)
        return try LocatedError.at(path) {
            var store = TensorStore()
            for entry in archive.entries where entry.name.hasSuffix(".npy") {
                let (buffer, offset) = entry.method == 0 ? (mapped, entry.dataOffset) : try archive.contents(of: entry)
                do {
                    try store.add(String(entry.name.dropLast(4)), try tensor(in: buffer, at: offset, count: entry.size))
                } catch let error as NumPyError {
                    throw NumPyError.inMember(entry.name, error)
                }
            }
            return store
        }
    }

    /// The array whose `.npy` image is `buffer.bytes[offset..<offset + count]`.
    static func tensor(in buffer: TensorBuffer, at offset: Int, count: Int) throws -> Tensor {
        let image = UnsafeRawBufferPointer(rebasing: buffer.bytes[offset..<(offset + count)])
        let header = try NumPyHeader.parse(image)
        let dataStart = offset + header.dataOffset
        if header.isNativeLayout {
            return try Tensor(dtype: header.dtype, shape: header.shape, buffer: buffer, byteOffset: dataStart)
        }
        let tensor = try Tensor(zeros: header.dtype, shape: header.shape)
        let source = UnsafeRawBufferPointer(rebasing: buffer.bytes[dataStart..<(dataStart + header.byteCount)])
        let destination = tensor.buffer.mutableBytes!
        let itemSize = header.dtype.byteSize
        if header.fortranOrder {
            NumPyLayout.copyFortranToC(source, into: destination, shape: header.shape, itemSize: itemSize)
        } else if header.byteCount > 0 {
            destination.copyMemory(from: source)
        }
        if header.bigEndian { NumPyLayout.swapBytes(destination, itemSize: itemSize) }
        return tensor
    }

    /// `name.npy` -> `name` (any other file name is kept whole).
    static func arrayName(ofFile name: String) -> String {
        name.lowercased().hasSuffix(".npy") ? String(name.dropLast(4)) : name
    }
}

/// Reordering and byte-swapping of array data into lmzoo's layout (C order, little-endian).
enum NumPyLayout {
    /// Copies a Fortran-order (column-major) array of `shape` into C (row-major) order.
    // (d0, ..., dn-1) column-major -> (d0, ..., dn-1) row-major; element (i0, ..., in-1) lives at
    // source offset sum(ik * fortranStride[k]), fortranStride[0] = itemSize.
    static func copyFortranToC(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                               shape: [Int], itemSize: Int) {
        guard let count = Shape.elementCount(shape), count > 0,
              let from = source.baseAddress, let to = destination.baseAddress else { return }
        var strides = [Int](repeating: 0, count: shape.count)
        var stride = itemSize
        for k in shape.indices {
            strides[k] = stride
            stride *= shape[k]
        }
        var index = [Int](repeating: 0, count: shape.count)
        var sourceOffset = 0
        for element in 0..<count {
            (to + element * itemSize).copyMemory(from: from + sourceOffset, byteCount: itemSize)
            var k = shape.count - 1
            while k >= 0 {  // advance the row-major odometer, last index fastest
                index[k] += 1
                if index[k] < shape[k] {
                    sourceOffset += strides[k]
                    break
                }
                sourceOffset -= (shape[k] - 1) * strides[k]
                index[k] = 0
                k -= 1
            }
        }
    }

    /// Reverses the bytes of every `itemSize`-byte element of `bytes` in place.
    static func swapBytes(_ bytes: UnsafeMutableRawBufferPointer, itemSize: Int) {
        guard itemSize > 1 else { return }
        var start = 0
        while start + itemSize <= bytes.count {
            var low = start, high = start + itemSize - 1
            while low < high {
                bytes.swapAt(low, high)
                low += 1
                high -= 1
            }
            start += itemSize
        }
    }
}
