import LMZooCore

/// The GGUF writer's state machine, as gguf-py's `GGUFWriter` / `WriterState`: header, then
/// key/values, then tensor infos (followed by padding to the alignment), then each tensor's data
/// (each followed by padding), then commit. Bytes go through an ``AtomicFileWriter``: the
/// destination appears only on ``commit()``.
final class GGUFFileWriter {
    enum State: String {
        case empty = "nothing"
        case header = "the header"
        case keyValues = "the key/values"
        case tensorInfos = "the tensor infos"
        case weights = "tensor data"
        case committed = "commit"
    }

    /// One tensor as it will be written.
    struct TensorEntry {
        let name: String
        let tensor: Tensor
        /// The dtype written (the tensor is converted when it differs).
        let dtype: DType
        let typeID: UInt32
        /// Bytes in the file, before padding.
        let byteCount: Int
    }

    private(set) var state = State.empty
    let alignment: Int
    private let file: AtomicFileWriter

    init(destination: String, alignment: Int) throws {
        self.alignment = alignment
        file = try AtomicFileWriter(destination: destination)
    }

    var bytesWritten: Int { file.bytesWritten }

    private func advance(from expected: [State], to next: State, _ step: String) throws {
        guard expected.contains(state) else { throw GGUFError.writerOutOfOrder(step: step, state: state.rawValue) }
        state = next
    }

    /// Magic, version 3, tensor count, key/value count.
    func writeHeader(tensorCount: Int, keyValueCount: Int) throws {
        try advance(from: [.empty], to: .header, "write the header")
        var encoder = GGUFEncoder()
        encoder.append(GGUFHeader.magic)
        encoder.append(UInt32(3))
        encoder.append(UInt64(tensorCount))
        encoder.append(UInt64(keyValueCount))
        try file.write(encoder.bytes)
    }

    func writeKeyValues(_ keyValues: [GGUFKeyValue]) throws {
        try advance(from: [.header], to: .keyValues, "write key/values")
        var encoder = GGUFEncoder()
        for keyValue in keyValues { encoder.append(keyValue) }
        try file.write(encoder.bytes)
    }

    /// Tensor infos with offsets packed in order, each tensor padded to the alignment; then the
    /// padding that starts the data section.
    func writeTensorInfos(_ tensors: [TensorEntry]) throws {
        try advance(from: [.keyValues], to: .tensorInfos, "write tensor infos")
        var encoder = GGUFEncoder()
        var offset = 0
        for entry in tensors {
            encoder.appendTensorInfo(name: entry.name, shape: entry.tensor.shape, typeID: entry.typeID, offset: offset)
            offset += padded(entry.byteCount)
        }
        try file.write(encoder.bytes)
        try file.writeZeros(padded(file.bytesWritten) - file.bytesWritten)
    }

    /// One tensor's bytes, converted chunk by chunk when its dtype changes, then padding.
    func writeTensorData(_ entry: TensorEntry) throws {
        try advance(from: [.tensorInfos, .weights], to: .weights, "write tensor data")
        let start = file.bytesWritten
        try TensorStreaming.forEachChunk(of: entry.tensor, as: entry.dtype) { try file.write($0) }
        let written = file.bytesWritten - start
        guard written == entry.byteCount else { throw TensorError.sizeMismatch(expected: entry.byteCount, actual: written) }
        try file.writeZeros(padded(written) - written)
    }

    /// Flushes, fsyncs and renames the file into place.
    func commit() throws {
        try advance(from: [.tensorInfos, .weights], to: .committed, "commit")
        try file.commit()
    }

    private func padded(_ count: Int) -> Int { (count + alignment - 1) / alignment * alignment }
}
