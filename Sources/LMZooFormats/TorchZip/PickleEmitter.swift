/// Writes pickle protocol 2 opcodes the way CPython's `pickle.Pickler` does (`BININT1` for small
/// ints, `BINUNICODE` strings, `TUPLE1..3`, every string, tuple and reduced object memoized with
/// `BINPUT`), so that what lmzoo writes matches `torch.save` opcode for opcode. Objects that
/// Python would see as the same object (the same global, `'storage'`, a shared storage key) are
/// given one memo key by the caller and come back as `BINGET`.
struct PickleEmitter {
    private(set) var bytes: [UInt8] = [0x80, 0x02] // PROTO 2
    private var memo: [String: Int] = [:]
    private var nextMemo = 0

    /// Emits `GLOBAL module name`, or a memo get when it was emitted before.
    mutating func global(_ module: String, _ name: String) {
        if recall("global:\(module)\n\(name)") { return }
        bytes.append(0x63)
        bytes += Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
        put("global:\(module)\n\(name)")
    }

    /// Emits a string; `identity` names the Python object (equal identities are the same object).
    mutating func string(_ text: String, identity: String? = nil) {
        if let identity, recall("str:\(identity)") { return }
        let utf8 = Array(text.utf8)
        bytes.append(0x58) // BINUNICODE
        append32(UInt32(utf8.count))
        bytes += utf8
        put(identity.map { "str:\($0)" })
    }

    /// Emits an int as `save_long` does: BININT1, BININT2, BININT or LONG1.
    mutating func int(_ value: Int) {
        if value >= 0 && value <= 0xFF {
            bytes += [0x4B, UInt8(value)]
        } else if value >= 0 && value <= 0xFFFF {
            bytes += [0x4D, UInt8(value & 0xFF), UInt8(value >> 8)]
        } else if value >= Int(Int32.min) && value <= Int(Int32.max) {
            bytes.append(0x4A)
            append32(UInt32(bitPattern: Int32(value)))
        } else {
            // Two's complement little-endian, minimal length (pickle.encode_long).
            var encoded = withUnsafeBytes(of: Int64(value).littleEndian, Array.init)
            while encoded.count > 1 {
                let last = encoded[encoded.count - 1], previousHighBit = encoded[encoded.count - 2] & 0x80
                if (last == 0 && previousHighBit == 0) || (last == 0xFF && previousHighBit != 0) { encoded.removeLast() } else { break }
            }
            bytes += [0x8A, UInt8(encoded.count)] + encoded
        }
    }

    mutating func bool(_ value: Bool) { bytes.append(value ? 0x88 : 0x89) }

    /// Emits a tuple of `count` items that `items` writes: `EMPTY_TUPLE`; items then `TUPLE1..3`;
    /// or `MARK` items `TUPLE`. Non-empty tuples are memoized.
    mutating func tuple(count: Int, _ items: (inout PickleEmitter) -> Void) {
        if count == 0 {
            bytes.append(0x29)
            return
        }
        if count > 3 { bytes.append(0x28) }
        items(&self)
        bytes.append(count > 3 ? 0x74 : UInt8(0x84 + count))
        put(nil)
    }

    /// Emits `callable(*arguments)`: the two are written by `callableAndArguments`, then REDUCE, memoized.
    mutating func reduce(_ callableAndArguments: (inout PickleEmitter) -> Void) {
        callableAndArguments(&self)
        bytes.append(0x52)
        put(nil)
    }

    mutating func mark() { bytes.append(0x28) }
    mutating func setItem() { bytes.append(0x73) }
    mutating func setItems() { bytes.append(0x75) }
    mutating func persistentID() { bytes.append(0x51) }
    mutating func stop() { bytes.append(0x2E) }

    /// BINPUT / LONG_BINPUT of the next memo slot; `identity` lets later writes recall it.
    private mutating func put(_ identity: String?) {
        let index = nextMemo
        nextMemo += 1
        if let identity { memo[identity] = index }
        if index < 256 {
            bytes += [0x71, UInt8(index)]
        } else {
            bytes.append(0x72)
            append32(UInt32(index))
        }
    }

    /// BINGET / LONG_BINGET when `identity` was memoized; false otherwise.
    private mutating func recall(_ identity: String) -> Bool {
        guard let index = memo[identity] else { return false }
        if index < 256 {
            bytes += [0x68, UInt8(index)]
        } else {
            bytes.append(0x6A)
            append32(UInt32(index))
        }
        return true
    }

    private mutating func append32(_ value: UInt32) { bytes += withUnsafeBytes(of: value.littleEndian, Array.init) }
}
