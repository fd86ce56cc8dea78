import LMZooCore

/// Every way a GGUF file can be refused (reader cases in the order ``GGUFHeader/parse(fileBytes:)``
/// checks them), plus what the writer refuses to produce. The rules are llama.cpp's
/// (`ggml/src/gguf.cpp`, `gguf_init_from_file_impl`) and gguf-py's `GGUFReader`, with every count
/// and length bounded by the bytes that remain before anything is allocated.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    /// The file is shorter than the 24-byte fixed header (magic, version, two counts).
    case headerTooSmall(fileSize: Int)
    /// The first four bytes are not `GGUF`.
    case badMagic([UInt8])
    /// The version field reads as a byte-swapped 2 or 3: a big-endian GGUF, which lmzoo does not read.
    case bigEndian
    /// Versions 2 and 3 are read; version 1 (32-bit counts) and unknown versions are not.
    case unsupportedVersion(UInt32)
    /// The declared tensor and key/value counts cannot fit in the bytes that follow (each tensor
    /// info takes at least 24 bytes, each key/value 13).
    case countsExceedFile(tensors: UInt64, keyValues: UInt64, available: Int)
    /// The header declares more tensors than ``ReaderLimits/ggufTensorCount`` (checked after the
    /// counts are found to fit in the file, so only a file of over 100 MB can break it).
    case tooManyTensors(declared: UInt64, limit: Int)
    /// A fixed-size field (`reading`) runs past the end of the file.
    case unexpectedEnd(reading: String, offset: Int)
    /// A string's declared length runs past the end of the file.
    case stringPastEnd(reading: String, declared: UInt64, available: Int)
    /// A key, string value or tensor name is not valid UTF-8.
    case invalidUTF8(reading: String)
    /// Two key/values share a key.
    case duplicateKey(String)
    /// A value type id is not one of GGUF's 13 types.
    case unknownValueType(key: String, type: UInt32)
    /// An array's declared length cannot fit in the bytes that remain.
    case arrayPastEnd(key: String, declared: UInt64, available: Int)
    /// Arrays nested deeper than ``GGUFHeader/maxArrayDepth``.
    case arrayTooDeep(key: String)
    /// A bool is stored as a byte other than 0 or 1.
    case invalidBool(key: String, byte: UInt8)
    /// `general.alignment` is not a UINT32 non-zero power of two.
    case invalidAlignment(String)
    /// Two tensors share a name.
    case duplicateTensorName(String)
    /// A tensor has more than 4 dimensions (ggml's `GGML_MAX_DIMS`).
    case tooManyDimensions(tensor: String, count: Int)
    /// A dimension, the element count or the byte size does not fit in a machine integer.
    case shapeOverflow(tensor: String)
    /// A tensor's ggml type is not one lmzoo supports.
    case unsupportedTensorType(tensor: String, type: String)
    /// A block-quantized tensor's rows (`ne[0]`, lmzoo's last dimension) are not whole blocks.
    case rowNotWholeBlocks(tensor: String, rowLength: Int, blockSize: Int)
    /// A tensor's offset is not a multiple of the alignment.
    case misalignedOffset(tensor: String, offset: UInt64, alignment: Int)
    /// A tensor's offset lies past the end of the data section.
    case offsetOutOfBounds(tensor: String, offset: UInt64, dataSize: Int)
    /// A tensor's bytes run past the end of the file.
    case truncatedData(tensor: String, needed: Int, available: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(String, String)
    /// Writing: tensors written once under several names cannot be expressed (llama.cpp needs
    /// every tensor info to have its own bytes).
    case aliasesUnsupported([String])
    /// Writing: the writer's steps were called out of order (a bug in the caller).
    case writerOutOfOrder(step: String, state: String)

    /// The short name of the rule, for messages and docs.
    public var rule: String {
        switch self {
        case .headerTooSmall: "header too small"
        case .badMagic: "magic"
        case .bigEndian: "little-endian"
        case .unsupportedVersion: "version"
        case .countsExceedFile: "counts fit in the file"
        case .tooManyTensors: "tensor count limit"
        case .unexpectedEnd: "header inside the file"
        case .stringPastEnd: "string inside the file"
        case .invalidUTF8: "UTF-8"
        case .duplicateKey: "duplicate key"
        case .unknownValueType: "value type"
        case .arrayPastEnd: "array inside the file"
        case .arrayTooDeep: "array nesting"
        case .invalidBool: "bool is 0 or 1"
        case .invalidAlignment: "alignment"
        case .duplicateTensorName: "duplicate tensor name"
        case .tooManyDimensions: "n_dims <= 4"
        case .shapeOverflow: "shape overflow"
        case .unsupportedTensorType: "tensor type"
        case .rowNotWholeBlocks: "rows are whole blocks"
        case .misalignedOffset: "offset aligned"
        case .offsetOutOfBounds: "offset inside the data section"
        case .truncatedData: "data inside the file"
        case .overlappingTensors: "no overlap"
        case .aliasesUnsupported: "no aliases"
        case .writerOutOfOrder: "writer order"
        }
    }

    public var description: String {
        let detail: String
        switch self {
        case let .headerTooSmall(size):
            detail = "file is \(size) bytes, shorter than the 24-byte GGUF header"
        case let .badMagic(bytes):
            detail = "file starts with \(bytes.map { String($0, radix: 16) }.joined(separator: " ")), not 'GGUF'"
        case .bigEndian:
            detail = "this is a big-endian GGUF file; lmzoo reads little-endian files only"
        case let .unsupportedVersion(version):
            detail = version == 1 ? "GGUF version 1 is no longer supported (versions 2 and 3 are)"
                : "GGUF version \(version) is not supported (versions 2 and 3 are)"
        case let .tooManyTensors(declared, limit):
            detail = "header declares \(declared) tensors, more than the limit of \(limit)"
        case let .countsExceedFile(tensors, keyValues, available):
            detail = "header declares \(tensors) tensors and \(keyValues) key/values, more than \(available) remaining bytes can hold"
        case let .unexpectedEnd(what, offset):
            detail = "\(what) at offset \(offset) runs past the end of the file"
        case let .stringPastEnd(what, declared, available):
            detail = "\(what) declares \(declared) bytes but only \(available) remain"
        case let .invalidUTF8(what):
            detail = "\(what) is not valid UTF-8"
        case let .duplicateKey(key):
            detail = "key '\(key)' appears twice"
        case let .unknownValueType(key, type):
            detail = "key '\(key)' has unknown value type \(type)"
        case let .arrayPastEnd(key, declared, available):
            detail = "array '\(key)' declares \(declared) elements, more than \(available) remaining bytes can hold"
        case let .arrayTooDeep(key):
            detail = "array '\(key)' nests deeper than \(GGUFHeader.maxArrayDepth) levels"
        case let .invalidBool(key, byte):
            detail = "'\(key)' holds bool byte \(byte), not 0 or 1"
        case let .invalidAlignment(what):
            detail = "general.alignment \(what)"
        case let .duplicateTensorName(name):
            detail = "tensor name '\(name)' appears twice"
        case let .tooManyDimensions(tensor, count):
            detail = "tensor '\(tensor)' has \(count) dimensions, more than 4"
        case let .shapeOverflow(tensor):
            detail = "tensor '\(tensor)': shape x type size overflows"
        case let .unsupportedTensorType(tensor, type):
            detail = "tensor '\(tensor)' has ggml type \(type), which lmzoo does not support"
        case let .rowNotWholeBlocks(tensor, row, block):
            detail = "tensor '\(tensor)' has rows of \(row) values, not a multiple of the block size \(block)"
        case let .misalignedOffset(tensor, offset, alignment):
            detail = "tensor '\(tensor)' starts at data offset \(offset), not a multiple of the alignment \(alignment)"
        case let .offsetOutOfBounds(tensor, offset, size):
            detail = "tensor '\(tensor)' starts at data offset \(offset), past the \(size)-byte data section"
        case let .truncatedData(tensor, needed, available):
            detail = "tensor '\(tensor)' needs \(needed) bytes but only \(available) remain in the file (truncated?)"
        case let .overlappingTensors(first, second):
            detail = "tensors '\(first)' and '\(second)' overlap"
        case let .aliasesUnsupported(names):
            detail = "cannot write tied tensors once (\(names.joined(separator: ", "))): GGUF gives every tensor its own bytes; use --shared duplicate"
        case let .writerOutOfOrder(step, state):
            detail = "cannot \(step) after \(state)"
        }
        return "gguf rule '\(rule)': \(detail)"
    }
}
