import LMZooCore

/// Bounds-checked little-endian reads from a file's bytes. Every read checks the bytes that
/// remain first; every declared string or array length is bounded by them before anything is
/// allocated.
struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Bytes left after the current offset.
    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .unexpectedEnd(reading: what(), offset: offset) }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    /// A `u64` length followed by that many bytes of UTF-8.
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let length = try read(UInt64.self, what())
        guard length <= UInt64(remaining) else { throw .stringPastEnd(reading: what(), declared: length, available: remaining) }
        let count = Int(length)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        guard let text = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(reading: what()) }
        offset += count
        return text
    }

    /// One value of `type` (the type id already read).
    mutating func readValue(_ type: GGUFValueType, key: String, depth: Int = 0) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, "value of '\(key)'"))
        case .int8: return .int8(try read(Int8.self, "value of '\(key)'"))
        case .uint16: return .uint16(try read(UInt16.self, "value of '\(key)'"))
        case .int16: return .int16(try read(Int16.self, "value of '\(key)'"))
        case .uint32: return .uint32(try read(UInt32.self, "value of '\(key)'"))
        case .int32: return .int32(try read(Int32.self, "value of '\(key)'"))
        case .uint64: return .uint64(try read(UInt64.self, "value of '\(key)'"))
        case .int64: return .int64(try read(Int64.self, "value of '\(key)'"))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, "value of '\(key)'")))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, "value of '\(key)'")))
        case .bool: return .bool(try readBool(key: key))
        case .string: return .string(try readString("string value of '\(key)'"))
        case .array: return .array(try readArray(key: key, depth: depth + 1))
        }
    }

    private mutating func readBool(key: String) throws(GGUFError) -> Bool {
        let byte = try read(UInt8.self, "value of '\(key)'")
        guard byte <= 1 else { throw .invalidBool(key: key, byte: byte) }
        return byte == 1
    }

    /// An element type id, a `u64` count and the elements; `depth` counts this array's level.
    mutating func readArray(key: String, depth: Int) throws(GGUFError) -> GGUFArray {
        guard depth <= GGUFHeader.maxArrayDepth else { throw .arrayTooDeep(key: key) }
        let rawType = try read(UInt32.self, "array element type of '\(key)'")
        guard let elementType = GGUFValueType(rawValue: rawType) else { throw .unknownValueType(key: key, type: rawType) }
        let declared = try read(UInt64.self, "array length of '\(key)'")
        guard declared <= UInt64(remaining / elementType.minimumByteCount) else {
            throw .arrayPastEnd(key: key, declared: declared, available: remaining)
        }
        let count = Int(declared)
        switch elementType {
        case .uint8: return .uint8(try readScalars(count, key) { $0 })
        case .int8: return .int8(try readScalars(count, key) { Int8(bitPattern: $0) })
        case .uint16: return .uint16(try readScalars(count, key) { (v: UInt16) in v })
        case .int16: return .int16(try readScalars(count, key) { Int16(bitPattern: $0) })
        case .uint32: return .uint32(try readScalars(count, key) { (v: UInt32) in v })
        case .int32: return .int32(try readScalars(count, key) { Int32(bitPattern: $0) })
        case .uint64: return .uint64(try readScalars(count, key) { (v: UInt64) in v })
        case .int64: return .int64(try readScalars(count, key) { Int64(bitPattern: $0) })
        case .float32: return .float32(try readScalars(count, key) { Float(bitPattern: $0) })
        case .float64: return .float64(try readScalars(count, key) { Double(bitPattern: $0) })
        case .bool:
            var values: [Bool] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try readBool(key: key)) }
            return .bool(values)
        case .string:
            var values: [String] = []
            values.reserveCapacity(min(count, 1 << 16))
            for _ in 0..<count { values.append(try readString("string in array '\(key)'")) }
            return .string(values)
        case .array:
            var values: [GGUFArray] = []
            values.reserveCapacity(min(count, 1 << 16))
            for _ in 0..<count { values.append(try readArray(key: key, depth: depth + 1)) }
            return .array(values)
        }
    }

    /// `count` fixed-size values (bounds already checked against `remaining`).
    private mutating func readScalars<Raw: FixedWidthInteger, Value>(
        _ count: Int, _ key: String, _ convert: (Raw) -> Value
    ) throws(GGUFError) -> [Value] {
        guard count <= remaining / MemoryLayout<Raw>.size else {
            throw .arrayPastEnd(key: key, declared: UInt64(count), available: remaining)
        }
        let base = offset
        let values = (0..<count).map { i in
            convert(Raw(littleEndian: bytes.loadUnaligned(fromByteOffset: base + i * MemoryLayout<Raw>.size, as: Raw.self)))
        }
        offset += count * MemoryLayout<Raw>.size
        return values
    }
}
