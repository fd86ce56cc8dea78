/// The type of a GGUF metadata value, with its id in the file (gguf-py's `GGUFValueType`,
/// llama.cpp's `gguf_type`).
public enum GGUFValueType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 0
    case int8 = 1
    case uint16 = 2
    case int16 = 3
    case uint32 = 4
    case int32 = 5
    case float32 = 6
    case bool = 7
    case string = 8
    case array = 9
    case uint64 = 10
    case int64 = 11
    case float64 = 12

    /// The name gguf-py gives the type (`UINT8`, `STRING`, `ARRAY`, ...).
    public var description: String {
        switch self {
        case .uint8: "UINT8"
        case .int8: "INT8"
        case .uint16: "UINT16"
        case .int16: "INT16"
        case .uint32: "UINT32"
        case .int32: "INT32"
        case .float32: "FLOAT32"
        case .bool: "BOOL"
        case .string: "STRING"
        case .array: "ARRAY"
        case .uint64: "UINT64"
        case .int64: "INT64"
        case .float64: "FLOAT64"
        }
    }

    /// The fewest bytes one value of this type takes in a file: its size for scalars, the 8-byte
    /// length for a string, element type + count (12 bytes) for an array. Readers bound declared
    /// counts by `remaining bytes / minimumByteCount` before allocating anything.
    public var minimumByteCount: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}

/// One GGUF metadata value. Arrays are homogeneous by construction (``GGUFArray``).
///
/// Equality compares values (so a NaN float is not equal to itself); compare encoded bytes for
/// bit-exactness.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    /// The value's type id.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        case .bool: .bool
        case .string: .string
        case .array: .array
        case .uint64: .uint64
        case .int64: .int64
        case .float64: .float64
        }
    }

    /// The string, for a `.string` value.
    public var stringValue: String? { if case let .string(text) = self { text } else { nil } }

    /// The array, for an `.array` value.
    public var arrayValue: GGUFArray? { if case let .array(array) = self { array } else { nil } }

    /// The value of any integer type as `Int`, when it fits.
    public var intValue: Int? {
        switch self {
        case let .uint8(v): Int(v)
        case let .int8(v): Int(v)
        case let .uint16(v): Int(v)
        case let .int16(v): Int(v)
        case let .uint32(v): Int(v)
        case let .int32(v): Int(v)
        case let .uint64(v): Int(exactly: v)
        case let .int64(v): Int(v)
        default: nil
        }
    }

    /// The value of a float type (or an integer type, converted) as `Double`.
    public var doubleValue: Double? {
        switch self {
        case let .float32(v): Double(v)
        case let .float64(v): v
        default: intValue.map(Double.init)
        }
    }

    /// The boolean, for a `.bool` value.
    public var boolValue: Bool? { if case let .bool(b) = self { b } else { nil } }
}

/// A homogeneous GGUF array: the element type is part of the value, so an empty array keeps it.
/// An array of arrays holds inner arrays that may each have their own element type (as the file
/// format, and gguf-py's writer, allow).
public enum GGUFArray: Sendable, Equatable {
    case uint8([UInt8])
    case int8([Int8])
    case uint16([UInt16])
    case int16([Int16])
    case uint32([UInt32])
    case int32([Int32])
    case float32([Float])
    case bool([Bool])
    case string([String])
    case array([GGUFArray])
    case uint64([UInt64])
    case int64([Int64])
    case float64([Double])

    /// The type of every element.
    public var elementType: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        case .bool: .bool
        case .string: .string
        case .array: .array
        case .uint64: .uint64
        case .int64: .int64
        case .float64: .float64
        }
    }

    /// Number of elements.
    public var count: Int {
        switch self {
        case let .uint8(v): v.count
        case let .int8(v): v.count
        case let .uint16(v): v.count
        case let .int16(v): v.count
        case let .uint32(v): v.count
        case let .int32(v): v.count
        case let .float32(v): v.count
        case let .bool(v): v.count
        case let .string(v): v.count
        case let .array(v): v.count
        case let .uint64(v): v.count
        case let .int64(v): v.count
        case let .float64(v): v.count
        }
    }

    /// Element `index` as a ``GGUFValue`` (nil when out of range).
    public subscript(index: Int) -> GGUFValue? {
        guard index >= 0, index < count else { return nil }
        switch self {
        case let .uint8(v): return .uint8(v[index])
        case let .int8(v): return .int8(v[index])
        case let .uint16(v): return .uint16(v[index])
        case let .int16(v): return .int16(v[index])
        case let .uint32(v): return .uint32(v[index])
        case let .int32(v): return .int32(v[index])
        case let .float32(v): return .float32(v[index])
        case let .bool(v): return .bool(v[index])
        case let .string(v): return .string(v[index])
        case let .array(v): return .array(v[index])
        case let .uint64(v): return .uint64(v[index])
        case let .int64(v): return .int64(v[index])
        case let .float64(v): return .float64(v[index])
        }
    }

    /// Levels of arrays, counting this one (1 for an array of scalars or strings).
    public var depth: Int {
        guard case let .array(inner) = self else { return 1 }
        return 1 + (inner.map(\.depth).max() ?? 0)
    }
}

/// One metadata entry of a GGUF file: a key and its typed value.
public struct GGUFKeyValue: Sendable, Equatable {
    public let key: String
    public let value: GGUFValue

    public init(_ key: String, _ value: GGUFValue) {
        self.key = key
        self.value = value
    }
}

extension Array where Element == GGUFKeyValue {
    /// The value of `key`, if present.
    public subscript(key key: String) -> GGUFValue? { first { $0.key == key }?.value }
}
