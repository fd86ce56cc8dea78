import LMZooCore

/// Turns the pickle's tensor references into ``Tensor``s over the archive's storage records:
/// contiguous little-endian views are zero-copy views of the mapped file; strided (or big-endian)
/// views are copied into C-contiguous owned tensors. Identical views (tied weights) come back as
/// the same ``Tensor``, so ``TensorStore/aliases()`` sees them.
final class TorchStorages {
    private struct Record {
        let buffer: TensorBuffer
        let offset: Int
        let byteCount: Int
        let dtype: DType
    }

    private let archive: ZipArchive
    private let prefix: String
    private let byteSwapped: Bool
    private let mapped: TensorBuffer
    private let materializationLimit: Int
    private var materializedBytes = 0
    private var records: [String: Record] = [:]
    private var views: [TorchTensorRef: Tensor] = [:]

    /// `prefix` is the archive's top-level folder; `byteSwapped` when the `byteorder` record says `big`.
    init(archive: ZipArchive, prefix: String, byteSwapped: Bool, materializationLimit: Int) {
        self.archive = archive
        self.prefix = prefix
        self.byteSwapped = byteSwapped
        self.materializationLimit = materializationLimit
        mapped = TensorBuffer(mapping: archive.file)
    }

    /// The tensor `reference` describes (named `name` in errors).
    func tensor(_ reference: TorchTensorRef, name: String) throws -> Tensor {
        if let known = views[reference] { return known }
        let record = try self.record(reference.storage)
        let elementSize = reference.dtype.byteSize
        guard let elementCount = Shape.elementCount(reference.shape), elementSize.multipliedReportingOverflow(by: elementCount).overflow == false else {
            throw TorchCheckpointError.invalidTensorView(tensor: name, reason: "shape \(Shape.describe(reference.shape)) overflows")
        }
        // The last element the view touches must lie inside the record.
        if elementCount > 0 {
            var last = reference.offset
            for (size, stride) in zip(reference.shape, reference.stride) {
                let (step, overflowA) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, overflowB) = last.addingReportingOverflow(step)
                guard !overflowA, !overflowB else {
                    throw TorchCheckpointError.invalidTensorView(tensor: name, reason: "strides overflow")
                }
                last = sum
            }
            let (end, overflow) = (last + 1).multipliedReportingOverflow(by: elementSize)
            guard !overflow, end <= record.byteCount else {
                throw TorchCheckpointError.storageOutOfBounds(tensor: name, needed: overflow ? Int.max : end, available: record.byteCount)
            }
        } else if reference.offset > record.byteCount / max(elementSize, 1) {
            throw TorchCheckpointError.storageOutOfBounds(tensor: name, needed: reference.offset &* elementSize, available: record.byteCount)
        }
        let start = record.offset + reference.offset * elementSize
        let tensor: Tensor
        if elementCount == 0 || (isContiguous(reference) && (!byteSwapped || elementSize == 1)) {
            tensor = try Tensor(dtype: reference.dtype, shape: reference.shape, buffer: record.buffer,
                                byteOffset: elementCount == 0 ? record.offset : start)
        } else {
            let byteCount = elementCount * elementSize
            let (total, overflow) = materializedBytes.addingReportingOverflow(byteCount)
            guard !overflow, total <= materializationLimit else {
                throw TorchCheckpointError.materializationLimit(tensor: name, needed: overflow ? Int.max : total, limit: materializationLimit)
            }
            materializedBytes = total
            tensor = try Tensor(zeros: reference.dtype, shape: reference.shape)
            copyStrided(from: record.buffer.bytes.baseAddress! + start, shape: reference.shape, stride: reference.stride,
                        elementSize: elementSize, into: tensor.buffer.mutableBytes!.baseAddress!)
        }
        views[reference] = tensor
        return tensor
    }

    /// C-contiguous, ignoring the strides of dimensions of size 1 (as torch's `is_contiguous`).
    private func isContiguous(_ reference: TorchTensorRef) -> Bool {
        var expected = 1
        for (size, stride) in zip(reference.shape, reference.stride).reversed() {
            if size != 1 && stride != expected { return false }
            expected &*= size
        }
        return true
    }

    private func record(_ storage: TorchStorageRef) throws -> Record {
        let name = "\(prefix)/data/\(storage.key)"
        guard let byteCount = storage.byteCount else {
            throw TorchCheckpointError.invalidTensorView(tensor: name, reason: "storage numel overflows")
        }
        if let known = records[storage.key] {
            guard known.dtype == storage.dtype || byteCount == 0 else {
                throw TorchCheckpointError.storageDTypeConflict(record: name)
            }
            guard known.byteCount == byteCount else {
                throw TorchCheckpointError.storageSizeMismatch(record: name, expected: byteCount, actual: known.byteCount)
            }
            return known
        }
        guard !storage.key.isEmpty, !storage.key.contains("/") else { throw TorchCheckpointError.invalidStorageKey(storage.key) }
        guard let entry = archive.entry(named: name) else { throw TorchCheckpointError.missingRecord(name) }
        guard entry.size == byteCount else {
            throw TorchCheckpointError.storageSizeMismatch(record: name, expected: byteCount, actual: entry.size)
        }
        let record: Record
        if entry.method == 0 {
            record = Record(buffer: mapped, offset: entry.dataOffset, byteCount: byteCount, dtype: storage.dtype)
        } else {
            let (buffer, offset) = try archive.contents(of: entry)
            record = Record(buffer: buffer, offset: offset, byteCount: byteCount, dtype: storage.dtype)
        }
        records[storage.key] = record
        return record
    }

    /// Copies the strided view at `source` into C-contiguous `destination`, reversing each
    /// element's bytes when the archive is big-endian. Inner runs with stride 1 are copied whole.
    private func copyStrided(from source: UnsafeRawPointer, shape: [Int], stride: [Int], elementSize: Int,
                             into destination: UnsafeMutableRawPointer) {
        let count = shape.reduce(1, *)
        guard count > 0 else { return }
        let rank = shape.count
        let innerSize = rank > 0 ? shape[rank - 1] : 1
        let innerStride = rank > 0 ? stride[rank - 1] : 1
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        var written = 0
        while written < count {
            var base = 0
            for d in 0..<index.count { base += index[d] * stride[d] }
            let from = source + base * elementSize
            let to = destination + written * elementSize
            if innerStride == 1 && !byteSwapped {
                to.copyMemory(from: from, byteCount: innerSize * elementSize)
            } else {
                for i in 0..<innerSize {
                    let element = from + i * innerStride * elementSize
                    let target = to + i * elementSize
                    if byteSwapped {
                        for b in 0..<elementSize { target.storeBytes(of: element.load(fromByteOffset: elementSize - 1 - b, as: UInt8.self), toByteOffset: b, as: UInt8.self) }
                    } else {
                        target.copyMemory(from: element, byteCount: elementSize)
                    }
                }
            }
            written += innerSize
            // Advance the outer index (row-major odometer).
            var d = index.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }
}
