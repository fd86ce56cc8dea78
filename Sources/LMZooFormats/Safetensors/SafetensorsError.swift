import LMZooCore

/// Every way a safetensors file can be refused, one case per validation rule of the reference
/// implementation (the safetensors crate's `tensor.rs`), checked in this order.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// The file is shorter than the 8-byte header-size prefix.
    case headerTooSmall(fileSize: Int)
    /// The declared header size exceeds 100,000,000 bytes.
    case headerTooLarge(declared: UInt64)
    /// The declared header runs past the end of the file.
    case invalidHeaderLength(declared: Int, fileSize: Int)
    /// The header is not valid UTF-8.
    case invalidHeaderUTF8
    /// The header does not start with `{`.
    case invalidHeaderStart
    /// The header is not valid JSON (this includes duplicate keys).
    case invalidHeaderJSON(JSONError)
    /// The JSON is valid but not shaped like a safetensors header.
    case invalidHeaderStructure(String)
    /// A tensor's dtype is not one lmzoo knows.
    case unknownDType(tensor: String, dtype: String)
    /// A tensor's offsets do not continue where the previous tensor ended, or end before they start.
    case invalidOffset(tensor: String)
    /// shape x dtype size overflows a machine integer.
    case validationOverflow(tensor: String)
    /// The byte span of a tensor differs from shape x dtype size.
    case tensorSizeMismatch(tensor: String, expected: Int, actual: Int)
    /// The tensors need more data bytes than the file has (truncated file).
    case truncatedData(needed: Int, available: Int)
    /// Bytes remain after the last tensor.
    case trailingData(count: Int)
    /// The `lmzoo.aliases` metadata names a tensor that is missing or collides.
    case invalidAlias(String)

    /// The short name of the rule, for messages and docs.
    public var rule: String {
        switch self {
        case .headerTooSmall: "header too small"
        case .headerTooLarge: "header too large"
        case .invalidHeaderLength: "invalid header length"
        case .invalidHeaderUTF8: "header not UTF-8"
        case .invalidHeaderStart: "header start"
        case .invalidHeaderJSON(.duplicateKey): "duplicate key"
        case .invalidHeaderJSON: "header JSON"
        case .invalidHeaderStructure: "header structure"
        case .unknownDType: "unknown dtype"
        case .invalidOffset: "offsets contiguous from 0"
        case .validationOverflow: "shape overflow"
        case .tensorSizeMismatch: "shape x dtype size equals byte span"
        case .truncatedData: "data inside the file"
        case .trailingData: "nothing after the last tensor"
        case .invalidAlias: "aliases"
        }
    }

    public var description: String {
        let detail: String
        switch self {
        case let .headerTooSmall(size):
            detail = "file is \(size) bytes, shorter than the 8-byte header size"
        case let .headerTooLarge(declared):
            detail = "header declares \(declared) bytes, more than the 100,000,000-byte limit"
        case let .invalidHeaderLength(declared, size):
            detail = "header declares \(declared) bytes but the file has only \(size - 8) after the size prefix"
        case .invalidHeaderUTF8:
            detail = "header is not valid UTF-8"
        case .invalidHeaderStart:
            detail = "header does not start with '{'"
        case let .invalidHeaderJSON(error):
            detail = "header is not valid JSON: \(error)"
        case let .invalidHeaderStructure(what):
            detail = "header: \(what)"
        case let .unknownDType(tensor, dtype):
            detail = "tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case let .invalidOffset(tensor):
            detail = "tensor '\(tensor)' has offsets that do not continue where the previous tensor ended"
        case let .validationOverflow(tensor):
            detail = "tensor '\(tensor)': shape x dtype size overflows"
        case let .tensorSizeMismatch(tensor, expected, actual):
            detail = "tensor '\(tensor)' spans \(actual) bytes but its shape and dtype need \(expected)"
        case let .truncatedData(needed, available):
            detail = "tensors need \(needed) data bytes but the file has \(available) (truncated?)"
        case let .trailingData(count):
            detail = "\(count) bytes after the last tensor"
        case let .invalidAlias(what):
            detail = "lmzoo.aliases: \(what)"
        }
        return "safetensors rule '\(rule)': \(detail)"
    }
}
