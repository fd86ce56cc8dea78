import LMZooCore

/// The validated header of a `.npy` file (NumPy's format, `numpy/lib/format.py`):
/// `\x93NUMPY`, a major and minor version byte, the header length (u16 for 1.0, u32 for 2.0 and
/// 3.0, little-endian), then a Python dict literal padded with spaces and a newline, then the data.
public struct NumPyHeader: Sendable, Equatable {
    /// Largest header lmzoo parses (NumPy itself refuses more than 10,000 characters by default).
    public static let maxHeaderSize = ReaderLimits.npyHeaderBytes
    /// NumPy's `MAGIC_PREFIX`.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// NumPy's `NPY_MAXDIMS`.
    static let maxDimensions = 64

    /// Format version (1, 0), (2, 0) or (3, 0).
    public let version: (major: UInt8, minor: UInt8)
    /// Element type (from `descr`).
    public let dtype: DType
    /// Dimensions, outermost first; `[]` for a 0-d array.
    public let shape: [Int]
    /// The data is stored in Fortran (column-major) order.
    public let fortranOrder: Bool
    /// The data is big-endian (multi-byte dtypes only).
    public let bigEndian: Bool
    /// Offset of the first data byte from the start of the `.npy` bytes.
    public let dataOffset: Int
    /// Bytes of data (shape x item size).
    public let byteCount: Int

    /// True when the data is exactly lmzoo's layout (C order, little-endian): it can be used in place.
    public var isNativeLayout: Bool { !bigEndian && !(fortranOrder && shape.filter { $0 > 1 }.count > 1) }

    public static func == (left: NumPyHeader, right: NumPyHeader) -> Bool {
        left.version == right.version && left.dtype == right.dtype && left.shape == right.shape
            && left.fortranOrder == right.fortranOrder && left.bigEndian == right.bigEndian
            && left.dataOffset == right.dataOffset && left.byteCount == right.byteCount
    }

    /// Validates the whole `.npy` image `bytes` (header and data size); throws ``NumPyError``.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(NumPyError) -> NumPyHeader {
        guard bytes.count >= 10 else { throw .tooSmall(fileSize: bytes.count) }
        guard bytes.prefix(6).elementsEqual(magic) else { throw .badMagic }
        let version = (major: bytes[6], minor: bytes[7])
        let lengthFieldSize: Int
        switch version {
        case (1, 0): lengthFieldSize = 2
        case (2, 0), (3, 0): lengthFieldSize = 4
        default: throw .unsupportedVersion(major: version.major, minor: version.minor)
        }
        let headerStart = 8 + lengthFieldSize
        guard bytes.count >= headerStart else { throw .tooSmall(fileSize: bytes.count) }
        let declared = lengthFieldSize == 2
            ? Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            : Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        guard declared <= maxHeaderSize else { throw .headerTooLarge(declared: declared) }
        guard declared <= bytes.count - headerStart else {
            throw .headerOutsideFile(declared: declared, available: bytes.count - headerStart)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + declared)])
        let text: String
        if version.major == 3 {
            guard let decoded = String(validating: headerBytes, as: UTF8.self) else { throw .headerNotUTF8 }
            text = decoded
        } else {
            text = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))  // latin-1
        }
        let fields = try HeaderFields(text)
        let dataOffset = headerStart + declared
        guard let byteCount = fields.dtype.byteCount(forShape: fields.shape) else {
            throw .shapeOverflow(shape: PythonLiteral.tuple(fields.shape.map { .int($0) }).summary)
        }
        let available = bytes.count - dataOffset
        guard available >= byteCount else { throw .truncatedData(needed: byteCount, available: available) }
        guard available == byteCount else { throw .trailingData(count: available - byteCount) }
        return NumPyHeader(version: version, dtype: fields.dtype, shape: fields.shape, fortranOrder: fields.fortranOrder,
                           bigEndian: fields.bigEndian, dataOffset: dataOffset, byteCount: byteCount)
    }
}

/// The three entries of the header dict, checked as NumPy's `_read_array_header` checks them.
private struct HeaderFields {
    var dtype: DType
    var bigEndian: Bool
    var shape: [Int]
    var fortranOrder: Bool

    init(_ text: String) throws(NumPyError) {
        let literal: PythonLiteral
        do { literal = try PythonLiteral.parse(text) } catch {
            throw .malformedHeader("\(error.message) at character \(error.offset)")
        }
        guard case let .dict(pairs) = literal else { throw .malformedHeader("not a dict") }
        var values: [String: PythonLiteral] = [:]
        for (key, value) in pairs {
            guard case let .string(name) = key else { throw .malformedHeader("key \(key.summary) is not a string") }
            values[name] = value
        }
        let expected: Set = ["descr", "fortran_order", "shape"]
        guard Set(values.keys) == expected else {
            throw .malformedHeader("keys are \(values.keys.sorted()), expected \(expected.sorted())")
        }
        guard case let .tuple(dimensions) = values["shape"]! else {
            throw .malformedHeader("shape \(values["shape"]!.summary) is not a tuple of integers")
        }
        guard dimensions.count <= NumPyHeader.maxDimensions else {
            throw .malformedHeader("\(dimensions.count) dimensions, more than \(NumPyHeader.maxDimensions)")
        }
        var shape: [Int] = []
        var overflows = false
        for dimension in dimensions {
            switch dimension {
            case let .int(n) where n >= 0: shape.append(n)
            case let .bigInt(digits) where !digits.hasPrefix("-"): overflows = true
            case .int, .bigInt: throw .malformedHeader("shape \(values["shape"]!.summary) has a negative dimension")
            default: throw .malformedHeader("shape \(values["shape"]!.summary) is not a tuple of integers")
            }
        }
        guard case let .bool(fortranOrder) = values["fortran_order"]! else {
            throw .malformedHeader("fortran_order \(values["fortran_order"]!.summary) is not True or False")
        }
        switch values["descr"]! {
        case let .string(descr): (dtype, bigEndian) = try NumPyDescr.parse(descr)
        case let .list(fields): throw .structuredDType(PythonLiteral.list(fields).summary)
        case let other: throw .malformedHeader("descr \(other.summary) is not a dtype descriptor")
        }
        if overflows { throw .shapeOverflow(shape: values["shape"]!.summary) }
        self.shape = shape
        self.fortranOrder = fortranOrder
    }
}
