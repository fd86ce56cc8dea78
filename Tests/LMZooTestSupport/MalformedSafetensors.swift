import LMZooCore
import LMZooFormats

/// One malformed safetensors file per validation rule, with the error it must produce.
public struct MalformedSafetensors: Sendable, CustomStringConvertible {
    public let rule: String
    public let bytes: [UInt8]
    public let expected: SafetensorsError

    public var description: String { rule }

    /// An 8-byte size prefix (`declared` or the header's length), the header, then `data`.
    public static func file(header: String, data: [UInt8] = [], declared: UInt64? = nil) -> [UInt8] {
        let headerBytes = Array(header.utf8)
        return withUnsafeBytes(of: (declared ?? UInt64(headerBytes.count)).littleEndian, Array.init) + headerBytes + data
    }

    static func tensor(_ name: String = "t", dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]") -> String {
        #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
    }

    /// Every case, in the order the reader checks the rules.
    public static let all: [MalformedSafetensors] = [
        .init(rule: "header too small", bytes: [1, 0, 0, 0, 0], expected: .headerTooSmall(fileSize: 5)),
        .init(rule: "header too large", bytes: file(header: "{}", declared: 100_000_001), expected: .headerTooLarge(declared: 100_000_001)),
        .init(rule: "invalid header length", bytes: file(header: "{}", declared: 1000), expected: .invalidHeaderLength(declared: 1000, fileSize: 10)),
        .init(rule: "header not UTF-8", bytes: [4, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF, 0xFE, 0x7D], expected: .invalidHeaderUTF8),
        .init(rule: "header start", bytes: file(header: " {}"), expected: .invalidHeaderStart),
        .init(rule: "header JSON", bytes: file(header: #"{"t":"#), expected: .invalidHeaderJSON(.unexpectedEnd)),
        .init(rule: "duplicate key", bytes: file(header: "{" + tensor() + "," + tensor(offsets: "[8,16]") + "}", data: .init(repeating: 0, count: 16)),
              expected: .invalidHeaderJSON(.duplicateKey("t", offset: 54))),
        .init(rule: "header structure", bytes: file(header: #"{"t":{"dtype":"F32","shape":[2]}}"#),
              expected: .invalidHeaderStructure("tensor 't' needs 'data_offsets' as two non-negative integers")),
        .init(rule: "unknown dtype", bytes: file(header: "{" + tensor(dtype: "F8_E4M3") + "}", data: .init(repeating: 0, count: 8)),
              expected: .unknownDType(tensor: "t", dtype: "F8_E4M3")),
        .init(rule: "offsets contiguous from 0", bytes: file(header: "{" + tensor(offsets: "[4,12]") + "}", data: .init(repeating: 0, count: 12)),
              expected: .invalidOffset(tensor: "t")),
        .init(rule: "shape overflow", bytes: file(header: "{" + tensor(shape: "[4611686018427387904,4]", offsets: "[0,8]") + "}", data: .init(repeating: 0, count: 8)),
              expected: .validationOverflow(tensor: "t")),
        .init(rule: "shape x dtype size equals byte span", bytes: file(header: "{" + tensor(offsets: "[0,12]") + "}", data: .init(repeating: 0, count: 12)),
              expected: .tensorSizeMismatch(tensor: "t", expected: 8, actual: 12)),
        .init(rule: "data inside the file", bytes: file(header: "{" + tensor() + "}", data: [0, 0, 0]),
              expected: .truncatedData(needed: 8, available: 3)),
        .init(rule: "nothing after the last tensor", bytes: file(header: "{" + tensor() + "}", data: .init(repeating: 0, count: 11)),
              expected: .trailingData(count: 3)),
        .init(rule: "aliases", bytes: file(header: #"{"__metadata__":{"lmzoo.aliases":"{\"b\":\"missing\"}"},"# + tensor() + "}", data: .init(repeating: 0, count: 8)),
              expected: .invalidAlias("'b' refers to a tensor that is not in the file")),
    ]
}
