import LMZooCore

/// What a pickle may reference and build. The interpreter knows no globals itself: every GLOBAL,
/// REDUCE, BUILD and BINPERSID goes through the rules, which build typed values and never call code.
protocol PickleRules {
    /// The value of GLOBAL `module name`; throws to refuse it (before anything else happens).
    func global(module: String, name: String, offset: Int) throws -> PickleValue
    /// REDUCE: the value `callable(*arguments)` stands for.
    func reduce(_ callable: PickleGlobal, arguments: [PickleValue], offset: Int) throws -> PickleValue
    /// BUILD: `instance` after `__setstate__(state)`.
    func build(_ instance: PickleValue, state: PickleValue, offset: Int) throws -> PickleValue
    /// BINPERSID: the object a persistent id stands for.
    func persistentLoad(_ id: PickleValue, offset: Int) throws -> PickleValue
}

/// Size limits applied while interpreting, before anything is allocated for the values.
public struct PickleLimits: Sendable {
    /// Values on the stack, all MARK frames together.
    public var maxStackDepth = ReaderLimits.pickleStackDepth
    /// MARKs open at once.
    public var maxMarkDepth = ReaderLimits.pickleMarkDepth
    /// Memo slots in use.
    public var maxMemoEntries = ReaderLimits.pickleMemoEntries
    /// Length of a GLOBAL module or name line.
    public var maxGlobalNameLength = ReaderLimits.pickleGlobalNameLength

    public init() {}
}

/// An interpreter for pickle protocols 2 to 5 restricted to the opcodes that describe data
/// (the set `torch.load(weights_only=True)` accepts, plus their protocol 3-5 spellings: FRAME,
/// SHORT_BINUNICODE, BINUNICODE8, binary bytes, STACK_GLOBAL, MEMOIZE). It never imports or calls
/// anything; operand lengths are checked against the remaining bytes before anything is allocated.
final class PickleMachine {
    private let bytes: [UInt8]
    private let rules: PickleRules
    private let limits: PickleLimits
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Every container made, emptied when evaluation ends (see ``PickleValue``).
    private var containers: [AnyObject] = []

    init(bytes: [UInt8], rules: PickleRules, limits: PickleLimits = PickleLimits()) {
        self.bytes = bytes
        self.rules = rules
        self.limits = limits
    }

    /// Runs the pickle to its STOP and calls `body` with the result. The result's containers are
    /// valid only inside `body`.
    func evaluate<R>(_ body: (PickleValue) throws -> R) throws -> R {
        defer { dismantle() }
        return try body(try run())
    }

    private func dismantle() {
        stack = []
        memo = [:]
        for container in containers {
            if let sequence = container as? PickleSequence { sequence.items = [] }
            if let dict = container as? PickleDict { dict.removeAll() }
        }
        containers = []
    }

    // MARK: - The interpreter loop

    private func run() throws -> PickleValue {
        while true {
            let offset = position
            let opcode = try readByte(at: offset)
            switch opcode {
            case 0x80: // PROTO
                let version = Int(try readByte(at: offset))
                guard (2...5).contains(version) else { throw TorchCheckpointError.unsupportedProtocol(version, offset: offset) }
            case 0x95: // FRAME: a length prefix only; the frame's opcodes follow inline
                let length = try readUInt(8, at: offset)
                guard length <= UInt64(bytes.count - position) else { throw TorchCheckpointError.truncatedPickle(offset: offset) }
            case 0x2E: // STOP
                return try pop("STOP", offset)
            case 0x28: // MARK
                guard marks.count < limits.maxMarkDepth else {
                    throw TorchCheckpointError.limitExceeded(what: "MARK nesting", limit: limits.maxMarkDepth, offset: offset)
                }
                marks.append(stack.count)
            case 0x7D: try push(.dict(makeDict()), offset) // EMPTY_DICT
            case 0x5D: try push(.list(makeSequence([])), offset) // EMPTY_LIST
            case 0x29: try push(.tuple(makeSequence([])), offset) // EMPTY_TUPLE
            case 0x4E: try push(.none, offset) // NONE
            case 0x88: try push(.bool(true), offset) // NEWTRUE
            case 0x89: try push(.bool(false), offset) // NEWFALSE
            case 0x4A: // BININT
                try push(.int(Int(Int32(bitPattern: UInt32(try readUInt(4, at: offset))))), offset)
            case 0x4B: try push(.int(Int(try readByte(at: offset))), offset) // BININT1
            case 0x4D: try push(.int(Int(try readUInt(2, at: offset))), offset) // BININT2
            case 0x8A: // LONG1
                try push(.int(try readLong(count: Int(try readByte(at: offset)), at: offset)), offset)
            case 0x8B: // LONG4
                let count = try readUInt(4, at: offset)
                guard count <= 8 else { throw TorchCheckpointError.integerTooLarge(offset: offset) }
                try push(.int(try readLong(count: Int(count), at: offset)), offset)
            case 0x47: // BINFLOAT (big-endian IEEE double)
                try push(.float(Double(bitPattern: try readUIntBigEndian(8, at: offset))), offset)
            case 0x58: try push(.string(try readString(lengthBytes: 4, at: offset)), offset) // BINUNICODE
            case 0x8C: try push(.string(try readString(lengthBytes: 1, at: offset)), offset) // SHORT_BINUNICODE
            case 0x8D: try push(.string(try readString(lengthBytes: 8, at: offset)), offset) // BINUNICODE8
            case 0x55: // SHORT_BINSTRING (Python 2 str): text when UTF-8, else bytes
                let raw = try readBytes(lengthBytes: 1, at: offset)
                try push(String(validating: raw, as: UTF8.self).map { .string($0) } ?? .bytes(raw), offset)
            case 0x43: try push(.bytes(try readBytes(lengthBytes: 1, at: offset)), offset) // SHORT_BINBYTES
            case 0x42: try push(.bytes(try readBytes(lengthBytes: 4, at: offset)), offset) // BINBYTES
            case 0x8E: try push(.bytes(try readBytes(lengthBytes: 8, at: offset)), offset) // BINBYTES8
            case 0x63: // GLOBAL module\nname\n
                let module = try readLine(at: offset)
                let name = try readLine(at: offset)
                try push(adopt(try rules.global(module: module, name: name, offset: offset)), offset)
            case 0x93: // STACK_GLOBAL
                let name = try pop("STACK_GLOBAL", offset)
                let module = try pop("STACK_GLOBAL", offset)
                guard let moduleText = module.stringValue, let nameText = name.stringValue else {
                    throw TorchCheckpointError.typeMismatch(opcode: "STACK_GLOBAL", expected: "two str",
                                                            got: "\(module.kindName), \(name.kindName)", offset: offset)
                }
                try push(adopt(try rules.global(module: moduleText, name: nameText, offset: offset)), offset)
            case 0x52: // REDUCE
                let arguments = try pop("REDUCE", offset)
                let callable = try pop("REDUCE", offset)
                guard case let .global(global) = callable else {
                    throw TorchCheckpointError.typeMismatch(opcode: "REDUCE", expected: "an allowed global", got: callable.kindName, offset: offset)
                }
                guard case let .tuple(argumentTuple) = arguments else {
                    throw TorchCheckpointError.typeMismatch(opcode: "REDUCE", expected: "an argument tuple", got: arguments.kindName, offset: offset)
                }
                try push(adopt(try rules.reduce(global, arguments: argumentTuple.items, offset: offset)), offset)
            case 0x62: // BUILD
                let state = try pop("BUILD", offset)
                let instance = try pop("BUILD", offset)
                try push(adopt(try rules.build(instance, state: state, offset: offset)), offset)
            case 0x51: // BINPERSID
                let id = try pop("BINPERSID", offset)
                try push(adopt(try rules.persistentLoad(id, offset: offset)), offset)
            case 0x73: // SETITEM
                let value = try pop("SETITEM", offset)
                let key = try pop("SETITEM", offset)
                try setItems(in: try top("SETITEM", offset), [key, value], opcode: "SETITEM", offset)
            case 0x75: // SETITEMS
                let items = try popToMark("SETITEMS", offset)
                guard items.count % 2 == 0 else {
                    throw TorchCheckpointError.typeMismatch(opcode: "SETITEMS", expected: "key/value pairs", got: "\(items.count) values", offset: offset)
                }
                try setItems(in: try top("SETITEMS", offset), items, opcode: "SETITEMS", offset)
            case 0x61: // APPEND
                let item = try pop("APPEND", offset)
                try append(to: try top("APPEND", offset), [item], opcode: "APPEND", offset)
            case 0x65: // APPENDS
                let items = try popToMark("APPENDS", offset)
                try append(to: try top("APPENDS", offset), items, opcode: "APPENDS", offset)
            case 0x74: try push(.tuple(makeSequence(try popToMark("TUPLE", offset))), offset) // TUPLE
            case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
                let count = Int(opcode - 0x84)
                guard stack.count - (marks.last ?? 0) >= count else {
                    throw TorchCheckpointError.stackUnderflow(opcode: "TUPLE\(count)", offset: offset)
                }
                let items = Array(stack.suffix(count))
                stack.removeLast(count)
                try push(.tuple(makeSequence(items)), offset)
            case 0x71: try memoize(at: Int(try readByte(at: offset)), offset) // BINPUT
            case 0x72: try memoize(at: Int(try readUInt(4, at: offset)), offset) // LONG_BINPUT
            case 0x94: try memoize(at: memo.count, offset) // MEMOIZE
            case 0x68: try recall(Int(try readByte(at: offset)), offset) // BINGET
            case 0x6A: try recall(Int(try readUInt(4, at: offset)), offset) // LONG_BINGET
            default:
                throw TorchCheckpointError.unsupportedOpcode(opcode, offset: offset)
            }
        }
    }

    // MARK: - Stack

    private func push(_ value: PickleValue, _ offset: Int) throws {
        guard stack.count < limits.maxStackDepth else {
            throw TorchCheckpointError.limitExceeded(what: "pickle stack depth", limit: limits.maxStackDepth, offset: offset)
        }
        stack.append(value)
    }

    /// Pops the top value of the current MARK frame.
    private func pop(_ opcode: String, _ offset: Int) throws -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw TorchCheckpointError.stackUnderflow(opcode: opcode, offset: offset) }
        return stack.removeLast()
    }

    /// The top value of the current MARK frame, left in place.
    private func top(_ opcode: String, _ offset: Int) throws -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw TorchCheckpointError.stackUnderflow(opcode: opcode, offset: offset) }
        return stack[stack.count - 1]
    }

    private func popToMark(_ opcode: String, _ offset: Int) throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw TorchCheckpointError.missingMark(opcode: opcode, offset: offset) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func memoize(at index: Int, _ offset: Int) throws {
        let value = try top("PUT", offset)
        guard memo[index] != nil || memo.count < limits.maxMemoEntries else {
            throw TorchCheckpointError.limitExceeded(what: "memo entries", limit: limits.maxMemoEntries, offset: offset)
        }
        memo[index] = value
    }

    private func recall(_ index: Int, _ offset: Int) throws {
        guard let value = memo[index] else { throw TorchCheckpointError.missingMemo(index: index, offset: offset) }
        try push(value, offset)
    }

    /// Registers a container the rules made, so that ``dismantle()`` empties it too.
    private func adopt(_ value: PickleValue) -> PickleValue {
        switch value {
        case let .tuple(sequence), let .list(sequence): containers.append(sequence)
        case let .dict(dict): containers.append(dict)
        default: break
        }
        return value
    }

    private func makeSequence(_ items: [PickleValue]) -> PickleSequence {
        let sequence = PickleSequence(items)
        containers.append(sequence)
        return sequence
    }

    private func makeDict() -> PickleDict {
        let dict = PickleDict()
        containers.append(dict)
        return dict
    }

    private func setItems(in target: PickleValue, _ items: [PickleValue], opcode: String, _ offset: Int) throws {
        guard case let .dict(dict) = target else {
            throw TorchCheckpointError.typeMismatch(opcode: opcode, expected: "a dict", got: target.kindName, offset: offset)
        }
        for pair in stride(from: 0, to: items.count, by: 2) {
            guard let key = PickleDict.Key(items[pair]) else {
                throw TorchCheckpointError.typeMismatch(opcode: opcode, expected: "a str, int, bool, bytes or None key",
                                                        got: items[pair].kindName, offset: offset)
            }
            dict.set(key, items[pair + 1])
        }
    }

    private func append(to target: PickleValue, _ items: [PickleValue], opcode: String, _ offset: Int) throws {
        guard case let .list(list) = target else {
            throw TorchCheckpointError.typeMismatch(opcode: opcode, expected: "a list", got: target.kindName, offset: offset)
        }
        list.items.append(contentsOf: items)
    }

    // MARK: - Operands (every read checked against the remaining bytes)

    private func readByte(at offset: Int) throws -> UInt8 {
        guard position < bytes.count else { throw TorchCheckpointError.truncatedPickle(offset: offset) }
        defer { position += 1 }
        return bytes[position]
    }

    /// A little-endian unsigned integer of `count` (<= 8) bytes.
    private func readUInt(_ count: Int, at offset: Int) throws -> UInt64 {
        guard count <= bytes.count - position else { throw TorchCheckpointError.truncatedPickle(offset: offset) }
        var value: UInt64 = 0
        for i in (0..<count).reversed() { value = value << 8 | UInt64(bytes[position + i]) }
        position += count
        return value
    }

    private func readUIntBigEndian(_ count: Int, at offset: Int) throws -> UInt64 {
        guard count <= bytes.count - position else { throw TorchCheckpointError.truncatedPickle(offset: offset) }
        var value: UInt64 = 0
        for i in 0..<count { value = value << 8 | UInt64(bytes[position + i]) }
        position += count
        return value
    }

    /// LONG1/LONG4 payload: little-endian two's complement of `count` bytes (0 bytes = 0).
    private func readLong(count: Int, at offset: Int) throws -> Int {
        guard count <= 8 else { throw TorchCheckpointError.integerTooLarge(offset: offset) }
        guard count > 0 else { return 0 }
        let raw = try readUInt(count, at: offset)
        let shift = UInt64(64 - 8 * count)
        return Int(Int64(bitPattern: raw << shift) >> Int64(shift))
    }

    /// A length prefix of `lengthBytes` bytes, then that many bytes.
    private func readBytes(lengthBytes: Int, at offset: Int) throws -> [UInt8] {
        let length = try readUInt(lengthBytes, at: offset)
        guard length <= UInt64(bytes.count - position) else { throw TorchCheckpointError.truncatedPickle(offset: offset) }
        defer { position += Int(length) }
        return Array(bytes[position..<(position + Int(length))])
    }

    private func readString(lengthBytes: Int, at offset: Int) throws -> String {
        let raw = try readBytes(lengthBytes: lengthBytes, at: offset)
        guard let text = String(validating: raw, as: UTF8.self) else { throw TorchCheckpointError.invalidUTF8(offset: offset) }
        return text
    }

    /// A `\n`-terminated line of at most ``PickleLimits/maxGlobalNameLength`` bytes (GLOBAL operands).
    private func readLine(at offset: Int) throws -> String {
        let end = min(bytes.count, position + limits.maxGlobalNameLength + 1)
        guard let newline = bytes[position..<end].firstIndex(of: UInt8(ascii: "\n")) else {
            if end == bytes.count { throw TorchCheckpointError.truncatedPickle(offset: offset) }
            throw TorchCheckpointError.limitExceeded(what: "GLOBAL name length", limit: limits.maxGlobalNameLength, offset: offset)
        }
        defer { position = newline + 1 }
        guard let text = String(validating: bytes[position..<newline], as: UTF8.self) else {
            throw TorchCheckpointError.invalidUTF8(offset: offset)
        }
        return text
    }
}
