import LMZooCore

/// The mapping between NumPy's array-protocol type strings (`descr`: `<f4`, `|b1`, `>i8`) and
/// lmzoo's dtypes.
enum NumPyDescr {
    /// True on big-endian hosts, where NumPy's `=` (native) means big-endian.
    static let hostIsBigEndian = 1.bigEndian == 1

    /// The dtype of `descr` and whether its data is big-endian (and must be byte-swapped), or the
    /// rule it breaks.
    static func parse(_ descr: String) throws(NumPyError) -> (dtype: DType, bigEndian: Bool) {
        // NumPy always writes a byte-order character: < little, > big, = native, | not applicable.
        guard let order = descr.first, "<>=|".contains(order), let kind = descr.dropFirst().first else {
            throw NumPyError.unknownDType(descr)
        }
        let bigEndian = order == ">" || (order != "<" && hostIsBigEndian)
        let sizeText = descr.dropFirst(2)
        switch kind {
        case "O": throw NumPyError.objectDType
        case "V": throw NumPyError.structuredDType("'\(descr)'")
        case "S", "U", "a": throw NumPyError.stringDType(descr)
        case "c": throw NumPyError.complexDType(descr)
        default: break
        }
        guard !sizeText.isEmpty, sizeText.allSatisfy(\.isASCIIDigit), sizeText.count <= 2, let size = Int(sizeText),
              let dtype = dtypes[String(kind)]?[size]
        else { throw NumPyError.unknownDType(descr) }
        return (dtype, bigEndian && size > 1)
    }

    /// The `descr` NumPy writes for `dtype` (little-endian), or nil when NumPy has no such type.
    static func descr(for dtype: DType) -> String? {
        switch dtype {
        case .f16: "<f2"
        case .f32: "<f4"
        case .f64: "<f8"
        case .i8: "|i1"
        case .u8: "|u1"
        case .i16: "<i2"
        case .u16: "<u2"
        case .i32: "<i4"
        case .u32: "<u4"
        case .i64: "<i8"
        case .u64: "<u8"
        case .bool: "|b1"
        default: nil  // BF16 and the block types
        }
    }

    /// Kind character -> item size -> dtype.
    private static let dtypes: [String: [Int: DType]] = [
        "f": [2: .f16, 4: .f32, 8: .f64],
        "i": [1: .i8, 2: .i16, 4: .i32, 8: .i64],
        "u": [1: .u8, 2: .u16, 4: .u32, 8: .u64],
        "b": [1: .bool],
    ]
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
