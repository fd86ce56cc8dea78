import LMZooCore
import LMZooFormats

/// Builds GGUF bytes piece by piece (little-endian), for malformed-file tests.
public enum GGUFBytes {
    public static func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
    public static func u64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

    /// A `u64` length and the bytes.
    public static func string(_ text: String) -> [UInt8] { raw(Array(text.utf8)) }
    public static func raw(_ bytes: [UInt8]) -> [UInt8] { u64(UInt64(bytes.count)) + bytes }

    /// Key, type id, encoded value.
    public static func keyValue(_ key: String, type: UInt32, _ value: [UInt8]) -> [UInt8] { string(key) + u32(type) + value }

    /// Name, n_dims, `ne` (innermost first), ggml type id, offset.
    public static func tensorInfo(_ name: String, ne: [UInt64], type: UInt32 = 0, offset: UInt64 = 0) -> [UInt8] {
        string(name) + u32(UInt32(ne.count)) + ne.flatMap(u64) + u32(type) + u64(offset)
    }

    /// A whole file: header with the given (or actual) counts, key/values, tensor infos, zero
    /// padding to `alignment`, then `data`.
    public static func file(
        magic: [UInt8] = Array("GGUF".utf8), version: UInt32 = 3, tensorCount: UInt64? = nil, keyValueCount: UInt64? = nil,
        keyValues: [[UInt8]] = [], tensorInfos: [[UInt8]] = [], alignment: Int = 32, data: [UInt8] = []
    ) -> [UInt8] {
        var bytes = magic + u32(version) + u64(tensorCount ?? UInt64(tensorInfos.count)) + u64(keyValueCount ?? UInt64(keyValues.count))
        bytes += keyValues.flatMap { $0 } + tensorInfos.flatMap { $0 }
        bytes += [UInt8](repeating: 0, count: (alignment - bytes.count % alignment) % alignment)
        return bytes + data
    }
}

/// One malformed GGUF file per validation rule, with the error it must produce.
public struct MalformedGGUF: Sendable, CustomStringConvertible {
    public let rule: String
    public let bytes: [UInt8]
    public let expected: GGUFError

    public var description: String { rule }

    typealias B = GGUFBytes
    static let zeros64 = [UInt8](repeating: 0, count: 64)

    /// A file that claims 2^62 tensors (and holds none).
    public static let hugeTensorCount = B.file(tensorCount: 1 << 62, keyValues: [B.keyValue("a", type: 4, B.u32(1))])

    /// Nested arrays `levels` deep around an empty INT32 array.
    static func nested(_ levels: Int) -> [UInt8] {
        var value = B.u32(5) + B.u64(0)
        for _ in 1..<levels { value = B.u32(9) + B.u64(1) + value }
        return value
    }

    /// Every case, in the order the reader checks the rules.
    public static let all: [MalformedGGUF] = {
        let truncatedValue = B.file(keyValues: [B.keyValue("a", type: 4, [1, 0])]).prefix(24 + 8 + 1 + 4 + 2)
        let shortString = Array(B.file(keyValueCount: 1).prefix(24)) + B.u64(1000) + Array("abcdefgh".utf8)
        return [
            .init(rule: "header too small", bytes: Array("GGUF\u{3}\0\0\0".utf8), expected: .headerTooSmall(fileSize: 8)),
            .init(rule: "magic", bytes: B.file(magic: Array("GGML".utf8)), expected: .badMagic([0x47, 0x47, 0x4D, 0x4C])),
            .init(rule: "little-endian", bytes: B.file(version: UInt32(3).byteSwapped), expected: .bigEndian),
            .init(rule: "version", bytes: B.file(version: 1), expected: .unsupportedVersion(1)),
            .init(rule: "counts fit in the file", bytes: hugeTensorCount,
                  expected: .countsExceedFile(tensors: 1 << 62, keyValues: 1, available: hugeTensorCount.count - 24)),
            .init(rule: "header inside the file", bytes: Array(truncatedValue), expected: .unexpectedEnd(reading: "value of 'a'", offset: 37)),
            .init(rule: "string inside the file", bytes: shortString,
                  expected: .stringPastEnd(reading: "key of key/value 0", declared: 1000, available: 8)),
            .init(rule: "UTF-8", bytes: B.file(keyValues: [B.raw([0xFF, 0xFE]) + B.u32(0) + [0]]),
                  expected: .invalidUTF8(reading: "key of key/value 0")),
            .init(rule: "duplicate key", bytes: B.file(keyValues: [B.keyValue("a", type: 0, [1]), B.keyValue("a", type: 0, [2])]),
                  expected: .duplicateKey("a")),
            .init(rule: "value type", bytes: B.file(keyValues: [B.keyValue("a", type: 13, [0, 0, 0, 0])]),
                  expected: .unknownValueType(key: "a", type: 13)),
            .init(rule: "array inside the file", bytes: B.file(keyValues: [B.keyValue("a", type: 9, B.u32(4) + B.u64(1000) + B.u32(7))]),
                  expected: .arrayPastEnd(key: "a", declared: 1000, available: 15)),
            .init(rule: "array nesting", bytes: B.file(keyValues: [B.keyValue("a", type: 9, nested(17))]), expected: .arrayTooDeep(key: "a")),
            .init(rule: "bool is 0 or 1", bytes: B.file(keyValues: [B.keyValue("a", type: 7, [2])]), expected: .invalidBool(key: "a", byte: 2)),
            .init(rule: "alignment", bytes: B.file(keyValues: [B.keyValue("general.alignment", type: 4, B.u32(48))], alignment: 48),
                  expected: .invalidAlignment("48 is not a non-zero power of two")),
            .init(rule: "duplicate tensor name", bytes: B.file(tensorInfos: [B.tensorInfo("t", ne: [4]), B.tensorInfo("t", ne: [4], offset: 32)], data: zeros64),
                  expected: .duplicateTensorName("t")),
            .init(rule: "n_dims <= 4", bytes: B.file(tensorInfos: [B.tensorInfo("t", ne: [1, 1, 1, 1, 1])], data: zeros64),
                  expected: .tooManyDimensions(tensor: "t", count: 5)),
            .init(rule: "shape overflow", bytes: B.file(tensorInfos: [B.tensorInfo("t", ne: [1 << 62, 4])], data: zeros64),
                  expected: .shapeOverflow(tensor: "t")),
            .init(rule: "tensor type", bytes: B.file(tensorInfos: [B.tensorInfo("t", ne: [256], type: 12)], data: zeros64),
                  expected: .unsupportedTensorType(tensor: "t", type: "Q4_K (12)")),
            .init(rule: "rows are whole blocks", bytes: B.file(tensorInfos: [B.tensorInfo("t", ne: [16, 2], type: 8)], data: zeros64),
                  expected: .rowNotWholeBlocks(tensor: "t", rowLength: 16, blockSize: 32)),
            .init(rule: "offset aligned", bytes: B.file(tensorInfos: [B.tensorInfo("t", ne: [4], offset: 4)], data: zeros64),
                  expected: .misalignedOffset(tensor: "t", offset: 4, alignment: 32)),
            .init(rule: "offset inside the data section", bytes: B.file(tensorInfos: [B.tensorInfo("t", ne: [4], offset: 96)], data: zeros64),
                  expected: .offsetOutOfBounds(tensor: "t", offset: 96, dataSize: 64)),
            .init(rule: "data inside the file", bytes: B.file(tensorInfos: [B.tensorInfo("t", ne: [32])], data: zeros64),
                  expected: .truncatedData(tensor: "t", needed: 128, available: 64)),
            .init(rule: "no overlap", bytes: B.file(tensorInfos: [B.tensorInfo("a", ne: [16]), B.tensorInfo("b", ne: [8], offset: 32)], data: zeros64),
                  expected: .overlappingTensors("a", "b")),
        ]
    }()
}
