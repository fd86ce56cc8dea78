import LMZooCore

/// Little-endian encoding of GGUF header parts into a byte array (gguf-py's `_pack_val`).
struct GGUFEncoder {
    private(set) var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `u64` byte length and the UTF-8 bytes.
    mutating func append(string: String) {
        append(UInt64(string.utf8.count))
        bytes.append(contentsOf: string.utf8)
    }

    /// A key/value: key, type id, value.
    mutating func append(_ keyValue: GGUFKeyValue) {
        append(string: keyValue.key)
        append(keyValue.value.type.rawValue)
        append(value: keyValue.value)
    }

    /// A value without its type id.
    mutating func append(value: GGUFValue) {
        switch value {
        case let .uint8(v): append(v)
        case let .int8(v): append(v)
        case let .uint16(v): append(v)
        case let .int16(v): append(v)
        case let .uint32(v): append(v)
        case let .int32(v): append(v)
        case let .uint64(v): append(v)
        case let .int64(v): append(v)
        case let .float32(v): append(v.bitPattern)
        case let .float64(v): append(v.bitPattern)
        case let .bool(v): append(UInt8(v ? 1 : 0))
        case let .string(v): append(string: v)
        case let .array(v): append(array: v)
        }
    }

    /// Element type id, `u64` count, elements.
    mutating func append(array: GGUFArray) {
        append(array.elementType.rawValue)
        append(UInt64(array.count))
        switch array {
        case let .uint8(v): bytes.append(contentsOf: v)
        case let .int8(v): v.forEach { append($0) }
        case let .uint16(v): v.forEach { append($0) }
        case let .int16(v): v.forEach { append($0) }
        case let .uint32(v): v.forEach { append($0) }
        case let .int32(v): v.forEach { append($0) }
        case let .uint64(v): v.forEach { append($0) }
        case let .int64(v): v.forEach { append($0) }
        case let .float32(v): v.forEach { append($0.bitPattern) }
        case let .float64(v): v.forEach { append($0.bitPattern) }
        case let .bool(v): v.forEach { append(UInt8($0 ? 1 : 0)) }
        case let .string(v): v.forEach { append(string: $0) }
        case let .array(v): v.forEach { append(array: $0) }
        }
    }

    /// A tensor info: name, n_dims, `ne` (innermost first: lmzoo's shape reversed), type id, offset.
    mutating func appendTensorInfo(name: String, shape: [Int], typeID: UInt32, offset: Int) {
        append(string: name)
        append(UInt32(shape.count))
        for dimension in shape.reversed() { append(UInt64(dimension)) }
        append(typeID)
        append(UInt64(offset))
    }
}
