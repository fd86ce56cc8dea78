/// A value on the stack of ``PickleMachine``: plain data, containers, references to allowed
/// globals, and objects built by the ``PickleRules`` (never by calling Python code).
///
/// Containers are reference types because pickles mutate them after they were memoized
/// (`EMPTY_DICT, BINPUT, MARK ... SETITEMS`). The machine that created them empties them all when
/// it finishes, so that neither reference cycles nor deep nesting outlive it (no leaks, and no
/// deep recursive release that could overflow the stack).
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleSequence)
    case list(PickleSequence)
    case dict(PickleDict)
    /// `module.name`, already allowed by the rules.
    case global(PickleGlobal)
    /// Something the rules built (a torch storage or tensor reference).
    case object(any Sendable)

    /// A short name of the value's kind, for error messages (never recursive).
    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case let .global(global): "global \(global.qualifiedName)"
        case let .object(object): "\(type(of: object))"
        }
    }

    var intValue: Int? { if case let .int(value) = self { value } else { nil } }
    var stringValue: String? { if case let .string(value) = self { value } else { nil } }
    /// The items of a tuple or a list.
    var sequenceItems: [PickleValue]? {
        switch self {
        case let .tuple(sequence), let .list(sequence): sequence.items
        default: nil
        }
    }
}

/// A reference to a global the rules allowed (`torch._utils._rebuild_tensor_v2`).
struct PickleGlobal: Hashable, Sendable {
    let module: String
    let name: String
    var qualifiedName: String { "\(module).\(name)" }
}

/// The items of a tuple or list.
final class PickleSequence {
    var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
}

/// A dict in insertion order (Python dicts and OrderedDicts keep it). Keys are strings, integers,
/// booleans, bytes or None: what state dicts use.
final class PickleDict {
    /// Hashable form of an allowed key.
    enum Key: Hashable {
        case string(String)
        case int(Int)
        case bool(Bool)
        case bytes([UInt8])
        case none

        init?(_ value: PickleValue) {
            switch value {
            case let .string(text): self = .string(text)
            case let .int(number): self = .int(number)
            case let .bool(flag): self = .bool(flag)
            case let .bytes(bytes): self = .bytes(bytes)
            case .none: self = .none
            default: return nil
            }
        }

        /// The key as a path component of a flattened name.
        var nameComponent: String {
            switch self {
            case let .string(text): text
            case let .int(number): String(number)
            case let .bool(flag): flag ? "True" : "False"
            case let .bytes(bytes): String(decoding: bytes, as: UTF8.self)
            case .none: "None"
            }
        }
    }

    private(set) var entries: [(key: Key, value: PickleValue)] = []
    private var indexByKey: [Key: Int] = [:]

    /// Sets `key` (replacing its value in place when present, as Python does).
    func set(_ key: Key, _ value: PickleValue) {
        if let index = indexByKey[key] {
            entries[index].value = value
        } else {
            indexByKey[key] = entries.count
            entries.append((key, value))
        }
    }

    func removeAll() {
        entries = []
        indexByKey = [:]
    }
}
