import LMZooCore

/// The parsed and validated header of a GGUF file (versions 2 and 3, little-endian):
///
///     "GGUF" u32 version, u64 tensor_count, u64 kv_count,
///     kv_count x (string key, u32 type, value),
///     tensor_count x (string name, u32 n_dims, n_dims x u64 ne, u32 ggml_type, u64 offset),
///     padding to `general.alignment` (default 32), the data section.
///
/// Dimensions: GGUF stores `ne` innermost first (`ne[0]` varies fastest, as ggml does); lmzoo
/// shapes are outermost first (row-major, as NumPy and PyTorch). ``TensorInfo/shape`` is `ne`
/// reversed, so a GGUF `[768, 50257]` embedding is lmzoo's `[50257, 768]`, the same shape
/// gguf-py's reader gives the NumPy array. Writers reverse again.
public struct GGUFHeader: Sendable {
    /// One tensor's entry.
    public struct TensorInfo: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        /// Outermost dimension first (the file's `ne` reversed).
        public let shape: [Int]
        /// Offset of the tensor's bytes from the start of the data section.
        public let offset: Int
        public let byteCount: Int
    }

    /// llama.cpp's `GGUF_DEFAULT_ALIGNMENT`.
    public static let defaultAlignment = 32
    /// The key holding the data alignment (a UINT32 power of two).
    public static let alignmentKey = "general.alignment"
    /// Deepest array nesting accepted (llama.cpp accepts none; gguf-py writes any).
    public static let maxArrayDepth = ReaderLimits.ggufArrayNesting
    /// ggml's `GGML_MAX_DIMS`.
    public static let maxDimensions = 4
    /// Smallest possible tensor info: empty name (8), n_dims (4), type (4), offset (8).
    static let minimumTensorInfoSize = 24
    /// Smallest possible key/value: empty key (8), type (4), a one-byte value.
    static let minimumKeyValueSize = 13
    /// `GGUF` read as a little-endian u32.
    static let magic: UInt32 = 0x4655_4747

    /// File format version (2 or 3).
    public let version: UInt32
    /// Key/values in file order.
    public let keyValues: [GGUFKeyValue]
    /// Tensors in file (tensor info) order.
    public let tensors: [TensorInfo]
    /// Data alignment in bytes.
    public let alignment: Int
    /// File offset of the data section.
    public let dataStart: Int

    /// Parses and validates the header of a whole file's bytes, checking every reader rule of
    /// ``GGUFError`` in order; touches no tensor data.
    public static func parse(fileBytes bytes: UnsafeRawBufferPointer) throws(GGUFError) -> GGUFHeader {
        guard bytes.count >= 24 else { throw .headerTooSmall(fileSize: bytes.count) }
        var cursor = GGUFCursor(bytes)
        guard try cursor.read(UInt32.self, "magic") == magic else { throw .badMagic(Array(bytes[0..<4])) }
        let version = try cursor.read(UInt32.self, "version")
        if version & 0xFFFF == 0, [2, 3].contains(version.byteSwapped) { throw .bigEndian }
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
        let tensorCount = try cursor.read(UInt64.self, "tensor count")
        let keyValueCount = try cursor.read(UInt64.self, "key/value count")
        let available = cursor.remaining
        guard tensorCount <= UInt64(available / minimumTensorInfoSize), keyValueCount <= UInt64(available / minimumKeyValueSize),
              Int(tensorCount) * minimumTensorInfoSize + Int(keyValueCount) * minimumKeyValueSize <= available
        else { throw .countsExceedFile(tensors: tensorCount, keyValues: keyValueCount, available: available) }
        guard tensorCount <= UInt64(ReaderLimits.ggufTensorCount) else {
            throw .tooManyTensors(declared: tensorCount, limit: ReaderLimits.ggufTensorCount)
        }

        let keyValues = try readKeyValues(&cursor, count: Int(keyValueCount))
        let alignment = try alignment(of: keyValues)
        let raw = try readTensorInfos(&cursor, count: Int(tensorCount))
        let (dataStart, overflow) = cursor.offset.addingReportingOverflow((alignment - cursor.offset % alignment) % alignment)
        guard !overflow else { throw .unexpectedEnd(reading: "data section", offset: cursor.offset) }
        let tensors = try placeTensors(raw, alignment: alignment, dataStart: dataStart, fileSize: bytes.count)
        return GGUFHeader(version: version, keyValues: keyValues, tensors: tensors, alignment: alignment, dataStart: dataStart)
    }

    private static func readKeyValues(_ cursor: inout GGUFCursor, count: Int) throws(GGUFError) -> [GGUFKeyValue] {
        var keyValues: [GGUFKeyValue] = []
        keyValues.reserveCapacity(min(count, 1 << 16))
        var seen = Set<String>()
        for index in 0..<count {
            let key = try cursor.readString("key of key/value \(index)")
            guard seen.insert(key).inserted else { throw .duplicateKey(key) }
            let rawType = try cursor.read(UInt32.self, "value type of '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else { throw .unknownValueType(key: key, type: rawType) }
            keyValues.append(GGUFKeyValue(key, try cursor.readValue(type, key: key)))
        }
        return keyValues
    }

    /// `general.alignment` if present (it must be a UINT32 non-zero power of two, as llama.cpp
    /// and gguf-py demand), else 32.
    static func alignment(of keyValues: [GGUFKeyValue]) throws(GGUFError) -> Int {
        guard let value = keyValues[key: alignmentKey] else { return defaultAlignment }
        guard case let .uint32(alignment) = value else { throw .invalidAlignment("has type \(value.type), not UINT32") }
        guard alignment != 0, alignment & (alignment - 1) == 0 else { throw .invalidAlignment("\(alignment) is not a non-zero power of two") }
        return Int(alignment)
    }

    private struct RawTensorInfo {
        let name: String
        let dtype: DType
        let shape: [Int]
        let byteCount: Int
        let offset: UInt64
    }

    private static func readTensorInfos(_ cursor: inout GGUFCursor, count: Int) throws(GGUFError) -> [RawTensorInfo] {
        var infos: [RawTensorInfo] = []
        infos.reserveCapacity(min(count, 1 << 16))
        var seen = Set<String>()
        for index in 0..<count {
            let name = try cursor.readString("name of tensor \(index)")
            guard seen.insert(name).inserted else { throw .duplicateTensorName(name) }
            let dimensionCount = try cursor.read(UInt32.self, "n_dims of '\(name)'")
            guard dimensionCount <= UInt32(maxDimensions) else { throw .tooManyDimensions(tensor: name, count: Int(dimensionCount)) }
            var ne: [Int] = []
            for _ in 0..<dimensionCount {
                let dimension = try cursor.read(UInt64.self, "dimensions of '\(name)'")
                guard let size = Int(exactly: dimension) else { throw .shapeOverflow(tensor: name) }
                ne.append(size)
            }
            let typeID = try cursor.read(UInt32.self, "type of '\(name)'")
            guard let dtype = GGMLType.dtype(id: typeID) else {
                throw .unsupportedTensorType(tensor: name, type: GGMLType.describe(id: typeID))
            }
            let shape = Array(ne.reversed())
            guard let elements = Shape.elementCount(shape) else { throw .shapeOverflow(tensor: name) }
            let rowLength = ne.first ?? 1
            guard rowLength % dtype.blockSize == 0 else {
                throw .rowNotWholeBlocks(tensor: name, rowLength: rowLength, blockSize: dtype.blockSize)
            }
            guard let byteCount = dtype.byteCount(elements: elements) else { throw .shapeOverflow(tensor: name) }
            let offset = try cursor.read(UInt64.self, "offset of '\(name)'")
            infos.append(RawTensorInfo(name: name, dtype: dtype, shape: shape, byteCount: byteCount, offset: offset))
        }
        return infos
    }

    /// Offsets aligned, inside the data section, bytes inside the file, no two tensors overlapping.
    /// (llama.cpp is stricter still: it wants tensors packed in info order, each padded to the
    /// alignment, as every GGUF writer lays them out; lmzoo accepts any non-overlapping layout.)
    private static func placeTensors(
        _ raw: [RawTensorInfo], alignment: Int, dataStart: Int, fileSize: Int
    ) throws(GGUFError) -> [TensorInfo] {
        let dataSize = max(0, fileSize - dataStart)
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(raw.count)
        for info in raw {
            guard info.offset % UInt64(alignment) == 0 else {
                throw .misalignedOffset(tensor: info.name, offset: info.offset, alignment: alignment)
            }
            guard info.offset <= UInt64(dataSize) else {
                throw .offsetOutOfBounds(tensor: info.name, offset: info.offset, dataSize: dataSize)
            }
            let offset = Int(info.offset)
            guard info.byteCount <= dataSize - offset else {
                throw .truncatedData(tensor: info.name, needed: info.byteCount, available: dataSize - offset)
            }
            tensors.append(TensorInfo(name: info.name, dtype: info.dtype, shape: info.shape, offset: offset, byteCount: info.byteCount))
        }
        let byOffset = tensors.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        for (previous, next) in zip(byOffset, byOffset.dropFirst()) where next.offset < previous.offset + previous.byteCount {
            throw .overlappingTensors(previous.name, next.name)
        }
        return tensors
    }
}
