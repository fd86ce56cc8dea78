import LMZooCore

/// Every way a PyTorch checkpoint can be refused: the pickle rules (``PickleMachine``, checked as
/// each opcode runs), then the archive rules (``TorchReader``, checked in file order: layout,
/// `byteorder`, `version`, `data.pkl`, storage records, tensor views).
public enum TorchCheckpointError: Error, Equatable, CustomStringConvertible {
    // MARK: pickle rules

    /// An opcode's operand (or the STOP that ends the pickle) lies past the end of `data.pkl`.
    case truncatedPickle(offset: Int)
    /// An opcode lmzoo's interpreter does not implement (it implements what
    /// `torch.load(weights_only=True)` accepts, plus the protocol 3-5 encodings of the same values).
    case unsupportedOpcode(UInt8, offset: Int)
    /// PROTO names a protocol other than 2 to 5.
    case unsupportedProtocol(Int, offset: Int)
    /// GLOBAL / STACK_GLOBAL names something outside the allowlist (`os.system`, `builtins.eval`, ...).
    /// Refused when the name is read: nothing is ever imported or called.
    case disallowedGlobal(String, offset: Int)
    /// A global torch allows but lmzoo cannot represent (complex, quantized or float8 storages and dtypes).
    case unsupportedTorchType(String, offset: Int)
    /// An opcode needs more values than the stack holds above the last MARK.
    case stackUnderflow(opcode: String, offset: Int)
    /// An opcode that pops to the last MARK found none.
    case missingMark(opcode: String, offset: Int)
    /// BINGET / LONG_BINGET of a memo slot never filled.
    case missingMemo(index: Int, offset: Int)
    /// A size limit (stack depth, MARK nesting, memo entries, string length, names, nesting of
    /// containers) would be exceeded.
    case limitExceeded(what: String, limit: Int, offset: Int)
    /// A string operand is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// LONG1 / LONG4 encodes an integer wider than 64 bits.
    case integerTooLarge(offset: Int)
    /// An opcode got a value of the wrong kind (SETITEM on a list, APPEND to a dict, a dict key
    /// that is not a string or integer, REDUCE arguments that are not a tuple, ...).
    case typeMismatch(opcode: String, expected: String, got: String, offset: Int)
    /// An allowed function was called with arguments it does not take
    /// (e.g. `_rebuild_tensor_v2` with a shape that is not a tuple of integers).
    case invalidArguments(function: String, reason: String, offset: Int)
    /// A persistent id other than `('storage', StorageType, key, location, numel)`.
    case invalidPersistentID(String, offset: Int)

    // MARK: archive rules

    /// A file that starts with torch's legacy (< 1.6) magic number: a raw pickle, not a zip archive.
    case legacyFormat
    /// A zip archive without a top-level `<prefix>/data.pkl`.
    case notATorchArchive
    /// More than one top-level `<prefix>/data.pkl`.
    case ambiguousArchive(prefixes: [String])
    /// A TorchScript archive (`torch.jit.save`: it has `constants.pkl` and code), not a state dict.
    case torchScriptArchive
    /// The `byteorder` record is neither `little` nor `big`.
    case unsupportedByteOrder(String)
    /// The `version` record is not a decimal integer.
    case invalidVersion(String)
    /// The pickle's root is not a dict (or list) of tensors (e.g. a single tensor or a module object).
    case notAStateDict(String)
    /// A storage key that is not a plain record name (empty, or containing `/`).
    case invalidStorageKey(String)
    /// `<prefix>/data/<key>` is referenced by the pickle but not in the archive.
    case missingRecord(String)
    /// A storage record's size differs from numel x element size declared in the pickle.
    case storageSizeMismatch(record: String, expected: Int, actual: Int)
    /// One storage record referenced with two storage dtypes of different byte sizes.
    case storageDTypeConflict(record: String)
    /// A tensor view whose shape and strides disagree or overflow.
    case invalidTensorView(tensor: String, reason: String)
    /// A tensor view reaching outside its storage record (offset + extent > record size).
    case storageOutOfBounds(tensor: String, needed: Int, available: Int)
    /// Copying non-contiguous (or byte-swapped) views would allocate more than the reader allows.
    case materializationLimit(tensor: String, needed: Int, limit: Int)

    /// The short name of the rule, for messages and docs.
    public var rule: String {
        switch self {
        case .truncatedPickle: "pickle inside data.pkl"
        case .unsupportedOpcode: "known opcodes"
        case .unsupportedProtocol: "protocol 2 to 5"
        case .disallowedGlobal: "allowed globals"
        case .unsupportedTorchType: "supported torch types"
        case .stackUnderflow: "stack underflow"
        case .missingMark: "MARK before pop-to-mark"
        case .missingMemo: "memo defined before use"
        case .limitExceeded: "size limits"
        case .invalidUTF8: "strings are UTF-8"
        case .integerTooLarge: "integers fit 64 bits"
        case .typeMismatch: "operand types"
        case .invalidArguments: "rebuild arguments"
        case .invalidPersistentID: "persistent ids are storages"
        case .legacyFormat: "zip format"
        case .notATorchArchive: "data.pkl present"
        case .ambiguousArchive: "one data.pkl"
        case .torchScriptArchive: "not TorchScript"
        case .unsupportedByteOrder: "byteorder"
        case .invalidVersion: "version"
        case .notAStateDict: "root is a state dict"
        case .invalidStorageKey: "storage keys"
        case .missingRecord: "storage records present"
        case .storageSizeMismatch: "storage record size"
        case .storageDTypeConflict: "one dtype per storage"
        case .invalidTensorView: "tensor views"
        case .storageOutOfBounds: "views inside their storage"
        case .materializationLimit: "materialization limit"
        }
    }

    public var description: String {
        let detail: String
        switch self {
        case let .truncatedPickle(offset):
            detail = "data.pkl ends inside the opcode at byte \(offset) (truncated pickle, or no STOP)"
        case let .unsupportedOpcode(code, offset):
            detail = "unsupported pickle opcode 0x\(String(code, radix: 16)) at byte \(offset)"
        case let .unsupportedProtocol(protocolNumber, offset):
            detail = "pickle protocol \(protocolNumber) at byte \(offset) (lmzoo reads protocols 2 to 5)"
        case let .disallowedGlobal(name, offset):
            detail = "refusing global '\(name)' at byte \(offset) of data.pkl: not a torch tensor/storage/dtype or OrderedDict; lmzoo never imports or calls anything"
        case let .unsupportedTorchType(name, offset):
            detail = "'\(name)' at byte \(offset): lmzoo has no tensor type for it"
        case let .stackUnderflow(opcode, offset):
            detail = "\(opcode) at byte \(offset) needs more values than the stack holds"
        case let .missingMark(opcode, offset):
            detail = "\(opcode) at byte \(offset) has no MARK to pop to"
        case let .missingMemo(index, offset):
            detail = "memo slot \(index) read at byte \(offset) was never written"
        case let .limitExceeded(what, limit, offset):
            detail = "\(what) exceeds the limit of \(limit)" + (offset >= 0 ? " (at byte \(offset))" : "")
        case let .invalidUTF8(offset):
            detail = "string at byte \(offset) is not valid UTF-8"
        case let .integerTooLarge(offset):
            detail = "integer at byte \(offset) is wider than 64 bits"
        case let .typeMismatch(opcode, expected, got, offset):
            detail = "\(opcode) at byte \(offset) expects \(expected), got \(got)"
        case let .invalidArguments(function, reason, offset):
            detail = "\(function) at byte \(offset): \(reason)"
        case let .invalidPersistentID(what, offset):
            detail = "persistent id at byte \(offset) is \(what), not ('storage', StorageType, key, location, numel)"
        case .legacyFormat:
            detail = "legacy PyTorch format; re-save with torch>=1.6"
        case .notATorchArchive:
            detail = "zip archive without a top-level <prefix>/data.pkl (not a torch.save checkpoint)"
        case let .ambiguousArchive(prefixes):
            detail = "several data.pkl records (\(prefixes.joined(separator: ", ")))"
        case .torchScriptArchive:
            detail = "a TorchScript archive (torch.jit.save), not a torch.save state dict"
        case let .unsupportedByteOrder(text):
            detail = "byteorder record is '\(text)', expected 'little' or 'big'"
        case let .invalidVersion(text):
            detail = "version record is '\(text)', not an integer"
        case let .notAStateDict(what):
            detail = "the pickle holds \(what), not a dict of tensors"
        case let .invalidStorageKey(key):
            detail = "storage key '\(key)' is not a record name"
        case let .missingRecord(name):
            detail = "storage record '\(name)' is missing"
        case let .storageSizeMismatch(record, expected, actual):
            detail = "storage record '\(record)' has \(actual) bytes but the pickle declares \(expected)"
        case let .storageDTypeConflict(record):
            detail = "storage record '\(record)' is referenced with two different storage types"
        case let .invalidTensorView(tensor, reason):
            detail = "tensor '\(tensor)': \(reason)"
        case let .storageOutOfBounds(tensor, needed, available):
            detail = "tensor '\(tensor)' reaches byte \(needed) of a storage record of \(available) bytes"
        case let .materializationLimit(tensor, needed, limit):
            detail = "copying the strided view '\(tensor)' would bring the copies to \(needed) bytes, over the \(limit)-byte limit"
        }
        return "torch rule '\(rule)': \(detail)"
    }
}
