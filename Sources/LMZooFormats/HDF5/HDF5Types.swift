import CHDF5
import LMZooCore

/// How HDF5 element types map to lmzoo's little-endian dtypes, both ways. Call under ``HDF5/withLock(_:)``.
enum HDF5Types {
    /// What a dataset's element type is to lmzoo.
    enum Classified {
        /// Numbers of `dtype`; read them with `memoryType`; the file's bytes are already lmzoo's
        /// bytes when `sameBytes` (little-endian, or one byte wide).
        case numeric(dtype: DType, memoryType: HDF5Handle, sameBytes: Bool)
        /// Not numbers (the reason is recorded when the dataset is skipped).
        case nonNumeric(String)
    }

    /// The bit layout of a floating-point type.
    private struct FloatLayout: Equatable {
        let size, signPosition, exponentPosition, exponentSize, mantissaPosition, mantissaSize, bias: Int
    }

    /// Float layouts lmzoo holds (IEEE half, single, double and bfloat16).
    private static let floatLayouts: [(DType, FloatLayout)] = [
        (.f16, FloatLayout(size: 2, signPosition: 15, exponentPosition: 10, exponentSize: 5, mantissaPosition: 0, mantissaSize: 10, bias: 15)),
        (.bf16, FloatLayout(size: 2, signPosition: 15, exponentPosition: 7, exponentSize: 8, mantissaPosition: 0, mantissaSize: 7, bias: 127)),
        (.f32, FloatLayout(size: 4, signPosition: 31, exponentPosition: 23, exponentSize: 8, mantissaPosition: 0, mantissaSize: 23, bias: 127)),
        (.f64, FloatLayout(size: 8, signPosition: 63, exponentPosition: 52, exponentSize: 11, mantissaPosition: 0, mantissaSize: 52, bias: 1023)),
    ]

    /// Classifies `type`; `bfloat16Attribute` is true when the dataset carries Keras's `dtype = "bfloat16"`.
    static func classify(_ type: hid_t, dataset: String, bfloat16Attribute: Bool) throws(HDF5Error) -> Classified {
        let size = H5Tget_size(type)
        let failure = { (message: String) in HDF5Error.library("H5Tcopy", message) }
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            guard H5Tget_precision(type) == size * 8, H5Tget_offset(type) == 0 else {
                throw .unsupportedType(dataset: dataset, what: "integer with \(H5Tget_precision(type)) significant bits in \(size) bytes")
            }
            let dtype: DType
            switch (size, signed) {
            case (1, true): dtype = .i8
            case (1, false): dtype = .u8
            case (2, true): dtype = .i16
            case (2, false): dtype = bfloat16Attribute ? .bf16 : .u16
            case (4, true): dtype = .i32
            case (4, false): dtype = .u32
            case (8, true): dtype = .i64
            case (8, false): dtype = .u64
            default: throw .unsupportedType(dataset: dataset, what: "\(size)-byte integer")
            }
            let memory = try HDF5Handle.type(H5Tcopy(littleEndianInteger(size: size, signed: signed)), or: failure)
            return .numeric(dtype: dtype, memoryType: memory, sameBytes: size == 1 || H5Tget_order(type) == H5T_ORDER_LE)
        case H5T_FLOAT:
            var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
            H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize)
            let layout = FloatLayout(size: size, signPosition: spos, exponentPosition: epos, exponentSize: esize,
                                     mantissaPosition: mpos, mantissaSize: msize, bias: Int(clamping: H5Tget_ebias(type)))
            guard let match = floatLayouts.first(where: { $0.1 == layout }),
                  H5Tget_precision(type) == size * 8, H5Tget_offset(type) == 0
            else {
                throw .unsupportedType(dataset: dataset, what: "\(size)-byte float (sign \(spos), exponent \(epos)+\(esize), mantissa \(mpos)+\(msize), bias \(layout.bias))")
            }
            let memory = try HDF5Handle.type(H5Tcopy(type), or: failure)
            H5Tset_order(memory.id, H5T_ORDER_LE)
            return .numeric(dtype: match.0, memoryType: memory, sameBytes: H5Tget_order(type) == H5T_ORDER_LE)
        case H5T_ENUM:
            guard isBoolEnum(type) else { return .nonNumeric("enum") }
            return .numeric(dtype: .bool, memoryType: try HDF5Handle.type(H5Tcopy(type), or: failure), sameBytes: true)
        case H5T_OPAQUE:
            guard size == 2, bfloat16Attribute else { return .nonNumeric("opaque") }
            return .numeric(dtype: .bf16, memoryType: try HDF5Handle.type(H5Tcopy(type), or: failure), sameBytes: true)
        case H5T_STRING: return .nonNumeric("string")
        case H5T_COMPOUND: return .nonNumeric("compound")
        case H5T_VLEN: return .nonNumeric("variable-length")
        case H5T_ARRAY: return .nonNumeric("array")
        case H5T_REFERENCE: return .nonNumeric("reference")
        case H5T_BITFIELD: return .nonNumeric("bitfield")
        case H5T_TIME: return .nonNumeric("time")
        default: return .nonNumeric("unknown type class")
        }
    }

    /// h5py's bool: an enum over a 1-byte integer with exactly FALSE = 0 and TRUE = 1.
    static func isBoolEnum(_ type: hid_t) -> Bool {
        guard H5Tget_size(type) == 1, H5Tget_nmembers(type) == 2 else { return false }
        var members: [String: Int8] = [:]
        for index in 0..<UInt32(2) {
            guard let name = H5Tget_member_name(type, index) else { return false }
            let text = String(cString: name)
            H5free_memory(name)
            var value: Int8 = -1
            guard H5Tget_member_value(type, index, &value) >= 0 else { return false }
            members[text] = value
        }
        return members == ["FALSE": 0, "TRUE": 1]
    }

    static func littleEndianInteger(size: Int, signed: Bool) -> hid_t {
        switch (size, signed) {
        case (1, true): lmzoo_H5T_STD_I8LE()
        case (1, false): lmzoo_H5T_STD_U8LE()
        case (2, true): lmzoo_H5T_STD_I16LE()
        case (2, false): lmzoo_H5T_STD_U16LE()
        case (4, true): lmzoo_H5T_STD_I32LE()
        case (4, false): lmzoo_H5T_STD_U32LE()
        case (8, true): lmzoo_H5T_STD_I64LE()
        default: lmzoo_H5T_STD_U64LE()
        }
    }

    /// The file type lmzoo writes for `dtype` (also the memory type: tensors are little-endian).
    /// BF16 is an opaque 2-byte type, as h5py stores `ml_dtypes.bfloat16` for Keras 3 (the
    /// dataset also gets `dtype = "bfloat16"`); BOOL is h5py's FALSE/TRUE enum; F16 is h5py's half.
    static func fileType(for dtype: DType) throws(HDF5Error) -> HDF5Handle {
        let failure = { (message: String) in HDF5Error.library("H5Tcopy", message) }
        switch dtype {
        case .bool:
            let type = try HDF5Handle.type(H5Tenum_create(lmzoo_H5T_STD_I8LE()), or: failure)
            var no: Int8 = 0, yes: Int8 = 1
            guard H5Tenum_insert(type.id, "FALSE", &no) >= 0, H5Tenum_insert(type.id, "TRUE", &yes) >= 0 else {
                throw .library("H5Tenum_insert", HDF5.lastErrorMessage())
            }
            return type
        case .u8, .u16, .u32, .u64, .i8, .i16, .i32, .i64:
            return try HDF5Handle.type(H5Tcopy(littleEndianInteger(size: dtype.byteSize, signed: [.i8, .i16, .i32, .i64].contains(dtype))), or: failure)
        case .f32: return try HDF5Handle.type(H5Tcopy(lmzoo_H5T_IEEE_F32LE()), or: failure)
        case .f64: return try HDF5Handle.type(H5Tcopy(lmzoo_H5T_IEEE_F64LE()), or: failure)
        case .f16:
            let type = try HDF5Handle.type(H5Tcopy(lmzoo_H5T_IEEE_F32LE()), or: failure)
            guard H5Tset_fields(type.id, 15, 10, 5, 0, 10) >= 0, H5Tset_size(type.id, 2) >= 0, H5Tset_ebias(type.id, 15) >= 0 else {
                throw .library("H5Tset_fields", HDF5.lastErrorMessage())
            }
            return type
        case .bf16:
            return try HDF5Handle.type(H5Tcreate(H5T_OPAQUE, 2), or: failure)
        default:  // the block types
            throw .unsupportedType(dataset: "", what: dtype.rawValue)
        }
    }
}
