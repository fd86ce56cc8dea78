import LMZooCore

/// Every way a `.npy` file (or an `.npz` member) can be refused, and what the NumPy writers
/// refuse, one case per rule. The reader checks the rules in this order, following NumPy's
/// `numpy/lib/format.py` (`read_magic`, `_read_array_header`, `descr_to_dtype`).
public indirect enum NumPyError: Error, Equatable, CustomStringConvertible {
    /// The file is shorter than the magic string, version and header-length field.
    case tooSmall(fileSize: Int)
    /// The file does not start with `\x93NUMPY`.
    case badMagic
    /// The format version is not 1.0, 2.0 or 3.0.
    case unsupportedVersion(major: UInt8, minor: UInt8)
    /// The declared header length exceeds ``NumPyHeader/maxHeaderSize``.
    case headerTooLarge(declared: Int)
    /// The declared header runs past the end of the file.
    case headerOutsideFile(declared: Int, available: Int)
    /// A version 3.0 header is not valid UTF-8.
    case headerNotUTF8
    /// The header is not the Python dict literal NumPy writes (`{'descr': ..., 'fortran_order': ...,
    /// 'shape': (...), }`): a syntax error, missing or extra keys, or a value of the wrong type.
    case malformedHeader(String)
    /// `descr` is `|O`: the data is a pickle of Python objects, which lmzoo never loads.
    case objectDType
    /// `descr` is a list of fields (a structured / record dtype) or a raw void type.
    case structuredDType(String)
    /// `descr` is a byte or unicode string type (`|S3`, `<U3`).
    case stringDType(String)
    /// `descr` is a complex type (`<c8`, `<c16`).
    case complexDType(String)
    /// `descr` is none of the numeric types lmzoo reads (f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1).
    case unknownDType(String)
    /// The shape's element count times the item size does not fit in a machine integer.
    case shapeOverflow(shape: String)
    /// The file ends before the data the shape and dtype need (truncated file).
    case truncatedData(needed: Int, available: Int)
    /// Bytes remain after the data the shape and dtype need.
    case trailingData(count: Int)
    /// A member of an `.npz` archive broke one of the rules above.
    case inMember(String, NumPyError)
    /// A `.npy` file holds exactly one array; the store to write has `count` tensors.
    case npyNeedsOneTensor(count: Int)
    /// NumPy has no dtype for this tensor's type (BF16, and the block types Q8_0 / Q4_0).
    case cannotHold(tensor: String, dtype: DType)

    /// The short name of the rule, for messages and docs.
    public var rule: String {
        switch self {
        case .tooSmall: "file too small"
        case .badMagic: "magic string"
        case .unsupportedVersion: "format version"
        case .headerTooLarge: "header too large"
        case .headerOutsideFile: "header inside the file"
        case .headerNotUTF8: "header not UTF-8"
        case .malformedHeader: "header dict"
        case .objectDType: "object dtype"
        case .structuredDType: "structured dtype"
        case .stringDType: "string dtype"
        case .complexDType: "complex dtype"
        case .unknownDType: "unknown dtype"
        case .shapeOverflow: "shape overflow"
        case .truncatedData: "data inside the file"
        case .trailingData: "nothing after the data"
        case let .inMember(_, error): error.rule
        case .npyNeedsOneTensor: "one array per .npy"
        case .cannotHold: "dtype NumPy can hold"
        }
    }

    public var description: String {
        if case let .inMember(name, error) = self { return "member '\(name)': \(error)" }
        let detail: String
        switch self {
        case let .tooSmall(size):
            detail = "file is \(size) bytes, too short for the magic string, version and header length"
        case .badMagic:
            detail = "file does not start with \\x93NUMPY"
        case let .unsupportedVersion(major, minor):
            detail = "format version \(major).\(minor) (lmzoo reads 1.0, 2.0 and 3.0)"
        case let .headerTooLarge(declared):
            detail = "header declares \(declared) bytes, more than the \(NumPyHeader.maxHeaderSize)-byte limit"
        case let .headerOutsideFile(declared, available):
            detail = "header declares \(declared) bytes but only \(available) follow the length field"
        case .headerNotUTF8:
            detail = "version 3.0 header is not valid UTF-8"
        case let .malformedHeader(what):
            detail = "header: \(what)"
        case .objectDType:
            detail = "object arrays (descr '|O') are pickled Python objects, which lmzoo never loads"
        case let .structuredDType(descr):
            detail = "structured dtype \(descr) is not a tensor"
        case let .stringDType(descr):
            detail = "string dtype '\(descr)' is not a tensor"
        case let .complexDType(descr):
            detail = "complex dtype '\(descr)' is not supported"
        case let .unknownDType(descr):
            detail = "unknown dtype '\(descr)' (lmzoo reads f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1)"
        case let .shapeOverflow(shape):
            detail = "shape \(shape) x item size overflows"
        case let .truncatedData(needed, available):
            detail = "the array needs \(needed) data bytes but the file has \(available) (truncated?)"
        case let .trailingData(count):
            detail = "\(count) bytes after the array's data"
        case let .npyNeedsOneTensor(count):
            detail = "a .npy file holds exactly one array, not \(count); write an .npz instead"
        case let .cannotHold(tensor, dtype):
            detail = "tensor '\(tensor)' is \(dtype.rawValue), which NumPy has no dtype for; convert it with --dtype f32 (or f16)"
        case .inMember:
            detail = ""
        }
        return "npy rule '\(rule)': \(detail)"
    }
}
