import LMZooCore

/// The parsed and validated header of a safetensors file.
public struct SafetensorsHeader: Equatable, Sendable {
    /// One tensor's entry: where its bytes lie relative to the start of the data section.
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        public let dataRange: Range<Int>
    }

    /// The header's largest allowed size (the reference implementation's `MAX_HEADER_SIZE`).
    public static let maxHeaderSize = ReaderLimits.safetensorsHeaderBytes

    /// Tensors in data order (sorted by offset).
    public let entries: [Entry]
    /// `__metadata__`.
    public let metadata: [String: String]
    /// File offset of the data section (8 + header size).
    public let dataStart: Int

    /// Parses and validates the header of a whole file's bytes; checks every rule of
    /// ``SafetensorsError`` in order, touching no tensor data.
    public static func parse(fileBytes bytes: UnsafeRawBufferPointer) throws(SafetensorsError) -> SafetensorsHeader {
        guard bytes.count >= 8 else { throw .headerTooSmall(fileSize: bytes.count) }
        let declared = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard declared <= UInt64(maxHeaderSize) else { throw .headerTooLarge(declared: declared) }
        let headerSize = Int(declared)
        guard headerSize <= bytes.count - 8 else { throw .invalidHeaderLength(declared: headerSize, fileSize: bytes.count) }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerSize)])
        guard isValidUTF8(headerBytes) else { throw .invalidHeaderUTF8 }
        guard headerBytes.first == UInt8(ascii: "{") else { throw .invalidHeaderStart }
        let json: JSONValue
        do {
            json = try JSONParser.parse(headerBytes)
        } catch {
            throw .invalidHeaderJSON(error)
        }
        let (metadata, unordered) = try readEntries(json)
        let entries = try validateOffsets(unordered)
        let dataStart = 8 + headerSize
        let needed = entries.last?.dataRange.upperBound ?? 0
        let available = bytes.count - dataStart
        guard needed <= available else { throw .truncatedData(needed: needed, available: available) }
        guard needed == available else { throw .trailingData(count: available - needed) }
        return SafetensorsHeader(entries: entries, metadata: metadata, dataStart: dataStart)
    }

    private struct RawEntry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    private static func readEntries(_ json: JSONValue) throws(SafetensorsError) -> ([String: String], [RawEntry]) {
        guard let object = json.objectValue else { throw .invalidHeaderStructure("not a JSON object") }
        var metadata: [String: String] = [:]
        var entries: [RawEntry] = []
        for (name, value) in object.entries {
            if name == "__metadata__" {
                guard let map = value.objectValue else { throw .invalidHeaderStructure("__metadata__ is not an object") }
                for (key, text) in map.entries {
                    guard let text = text.stringValue else {
                        throw .invalidHeaderStructure("__metadata__ value of '\(key)' is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            guard let info = value.objectValue else { throw .invalidHeaderStructure("tensor '\(name)' is not an object") }
            guard let dtypeName = info["dtype"]?.stringValue else {
                throw .invalidHeaderStructure("tensor '\(name)' has no string 'dtype'")
            }
            guard let dtype = DType(rawValue: dtypeName), !dtype.isBlockQuantized else { throw .unknownDType(tensor: name, dtype: dtypeName) }
            guard let shapeValues = info["shape"]?.arrayValue else {
                throw .invalidHeaderStructure("tensor '\(name)' has no 'shape' array")
            }
            let shape = try shapeValues.map { (dim) throws(SafetensorsError) -> Int in
                guard let size = dim.intValue, size >= 0 else {
                    throw .invalidHeaderStructure("tensor '\(name)' has a shape entry that is not a non-negative integer")
                }
                return size
            }
            guard let offsets = info["data_offsets"]?.arrayValue, offsets.count == 2,
                  let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= 0
            else {
                throw .invalidHeaderStructure("tensor '\(name)' needs 'data_offsets' as two non-negative integers")
            }
            entries.append(RawEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }
        return (metadata, entries)
    }

    /// Sorted by offsets, each tensor must start where the previous ended (the first at 0) and span
    /// exactly shape x dtype size bytes.
    private static func validateOffsets(_ raw: [RawEntry]) throws(SafetensorsError) -> [Entry] {
        let sorted = raw.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expectedStart = 0
        var entries: [Entry] = []
        entries.reserveCapacity(sorted.count)
        for entry in sorted {
            guard entry.begin == expectedStart, entry.end >= entry.begin else { throw .invalidOffset(tensor: entry.name) }
            guard let needed = entry.dtype.byteCount(forShape: entry.shape) else {
                throw .validationOverflow(tensor: entry.name)
            }
            guard entry.end - entry.begin == needed else {
                throw .tensorSizeMismatch(tensor: entry.name, expected: needed, actual: entry.end - entry.begin)
            }
            expectedStart = entry.end
            entries.append(Entry(name: entry.name, dtype: entry.dtype, shape: entry.shape, dataRange: entry.begin..<entry.end))
        }
        return entries
    }

    private static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
