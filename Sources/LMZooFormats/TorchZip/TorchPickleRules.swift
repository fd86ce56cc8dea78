import LMZooCore

/// A storage as the pickle describes it: `('storage', StorageType, key, location, numel)`.
struct TorchStorageRef: Sendable, Hashable {
    /// The record name under `<prefix>/data/`.
    let key: String
    /// Element type of the storage (`U8` for `UntypedStorage`, whose numel counts bytes).
    let dtype: DType
    /// True for `torch.storage.UntypedStorage` (torch >= 2 writes it for dtypes without a legacy storage class).
    let untyped: Bool
    let numel: Int

    var byteCount: Int? { dtype.byteCount(elements: numel) }
}

/// A tensor as `_rebuild_tensor_v2/v3` describes it: a strided view of a storage. Offsets and
/// strides count elements of ``dtype``.
struct TorchTensorRef: Sendable, Hashable {
    let storage: TorchStorageRef
    let dtype: DType
    let offset: Int
    let shape: [Int]
    let stride: [Int]
}

/// The allowlist: what `torch.save` writes for state dicts. Everything else, in particular any
/// module or builtin (`os.system`, `posix.system`, `builtins.eval`), is refused when the pickle
/// names it. REDUCE of an allowed global builds a typed value; no Python is ever run.
struct TorchPickleRules: PickleRules {
    /// Globals that REDUCE may "call", by qualified name.
    enum Function: String, CaseIterable {
        case orderedDict = "collections.OrderedDict"
        case rebuildTensor = "torch._utils._rebuild_tensor"
        case rebuildTensorV2 = "torch._utils._rebuild_tensor_v2"
        case rebuildTensorV3 = "torch._utils._rebuild_tensor_v3"
        case rebuildParameter = "torch._utils._rebuild_parameter"
        case rebuildParameterWithState = "torch._utils._rebuild_parameter_with_state"
        case size = "torch.Size"
        case codecsEncode = "_codecs.encode"
    }

    /// Legacy typed storage classes (`torch.FloatStorage`, ...) and the element type they hold.
    static let storageTypes: [String: DType] = [
        "torch.FloatStorage": .f32, "torch.HalfStorage": .f16, "torch.BFloat16Storage": .bf16,
        "torch.DoubleStorage": .f64, "torch.LongStorage": .i64, "torch.IntStorage": .i32,
        "torch.ShortStorage": .i16, "torch.CharStorage": .i8, "torch.ByteStorage": .u8, "torch.BoolStorage": .bool,
    ]
    /// Untyped storage classes (bytes; the tensor's dtype comes from `_rebuild_tensor_v3`).
    static let untypedStorageTypes: Set<String> = ["torch.storage.UntypedStorage", "torch.UntypedStorage"]

    /// `torch.<dtype>` globals (as `_rebuild_tensor_v3` receives them), aliases included.
    static let dtypes: [String: DType] = [
        "torch.float32": .f32, "torch.float": .f32, "torch.float16": .f16, "torch.half": .f16,
        "torch.bfloat16": .bf16, "torch.float64": .f64, "torch.double": .f64,
        "torch.int64": .i64, "torch.long": .i64, "torch.int32": .i32, "torch.int": .i32,
        "torch.int16": .i16, "torch.short": .i16, "torch.int8": .i8, "torch.uint8": .u8, "torch.bool": .bool,
        "torch.uint16": .u16, "torch.uint32": .u32, "torch.uint64": .u64,
    ]
    /// The torch name of each dtype the writer uses with `_rebuild_tensor_v3`.
    static func dtypeGlobalName(_ dtype: DType) -> String? {
        switch dtype {
        case .u16: "uint16"
        case .u32: "uint32"
        case .u64: "uint64"
        default: nil
        }
    }

    /// Storage types and dtypes torch allows that have no lmzoo tensor type (refused with
    /// ``TorchCheckpointError/unsupportedTorchType(_:offset:)`` rather than as unknown globals).
    static func isUnsupportedTorchType(_ qualifiedName: String) -> Bool {
        guard qualifiedName.hasPrefix("torch.") else { return false }
        let name = qualifiedName.dropFirst("torch.".count)
        return ["Complex", "QInt", "QUInt", "complex", "qint", "quint", "float8", "float4", "bits", "cfloat", "cdouble",
                "chalf", "bcomplex", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7", "int1", "int2", "int3",
                "int4", "int5", "int6", "int7"]
            .contains { name.hasPrefix($0) }
    }

    func global(module: String, name: String, offset: Int) throws -> PickleValue {
        let global = PickleGlobal(module: module, name: name)
        let qualified = global.qualifiedName
        if Function(rawValue: qualified) != nil || Self.storageTypes[qualified] != nil
            || Self.untypedStorageTypes.contains(qualified) || Self.dtypes[qualified] != nil {
            return .global(global)
        }
        if Self.isUnsupportedTorchType(qualified) { throw TorchCheckpointError.unsupportedTorchType(qualified, offset: offset) }
        throw TorchCheckpointError.disallowedGlobal(qualified, offset: offset)
    }

    func reduce(_ callable: PickleGlobal, arguments: [PickleValue], offset: Int) throws -> PickleValue {
        guard let function = Function(rawValue: callable.qualifiedName) else {
            throw TorchCheckpointError.typeMismatch(opcode: "REDUCE", expected: "a callable global",
                                                    got: callable.qualifiedName, offset: offset)
        }
        func invalid(_ reason: String) -> TorchCheckpointError {
            .invalidArguments(function: callable.qualifiedName, reason: reason, offset: offset)
        }
        switch function {
        case .orderedDict:
            guard arguments.isEmpty else { throw invalid("only OrderedDict() without arguments is supported") }
            return .dict(PickleDict())  // the machine adopts it
        case .rebuildTensor, .rebuildTensorV2:
            let counts = function == .rebuildTensor ? 4...4 : 6...7
            guard counts.contains(arguments.count) else { throw invalid("takes \(counts) arguments, got \(arguments.count)") }
            guard case let .object(object) = arguments[0], let storage = object as? TorchStorageRef else {
                throw invalid("argument 1 is \(arguments[0].kindName), not a storage")
            }
            return try tensor(storage: storage, dtype: storage.dtype, arguments, invalid)
        case .rebuildTensorV3:
            guard (7...8).contains(arguments.count) else { throw invalid("takes 7...8 arguments, got \(arguments.count)") }
            guard case let .object(object) = arguments[0], let storage = object as? TorchStorageRef else {
                throw invalid("argument 1 is \(arguments[0].kindName), not a storage")
            }
            guard case let .global(dtypeGlobal) = arguments[6], let dtype = Self.dtypes[dtypeGlobal.qualifiedName] else {
                throw invalid("argument 7 is \(arguments[6].kindName), not a torch dtype")
            }
            return try tensor(storage: storage, dtype: dtype, arguments, invalid)
        case .rebuildParameter, .rebuildParameterWithState:
            let count = function == .rebuildParameter ? 3 : 4
            guard arguments.count == count else { throw invalid("takes \(count) arguments, got \(arguments.count)") }
            guard case let .object(object) = arguments[0], object is TorchTensorRef else {
                throw invalid("argument 1 is \(arguments[0].kindName), not a tensor")
            }
            return arguments[0]
        case .size:
            guard arguments.count == 1, case .tuple = arguments[0] else { throw invalid("expects one tuple") }
            return arguments[0]
        case .codecsEncode:
            guard arguments.count == 2, let text = arguments[0].stringValue, arguments[1].stringValue == "latin1" else {
                throw invalid("only encode(str, 'latin1') (how protocol 2 stores bytes) is supported")
            }
            var bytes: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw invalid("character outside latin-1") }
                bytes.append(UInt8(scalar.value))
            }
            return .bytes(bytes)
        }
    }

    /// Arguments 2-4 of every rebuild function: storage offset, size, stride.
    private func tensor(storage: TorchStorageRef, dtype: DType, _ arguments: [PickleValue],
                        _ invalid: (String) -> TorchCheckpointError) throws -> PickleValue {
        guard let offset = arguments[1].intValue, offset >= 0 else { throw invalid("storage offset is not a non-negative int") }
        guard let shape = arguments[2].sequenceItems?.compactMap(\.intValue), shape.count == arguments[2].sequenceItems?.count,
              shape.allSatisfy({ $0 >= 0 })
        else { throw invalid("size is not a tuple of non-negative ints") }
        guard let stride = arguments[3].sequenceItems?.compactMap(\.intValue), stride.count == arguments[3].sequenceItems?.count,
              stride.allSatisfy({ $0 >= 0 })
        else { throw invalid("stride is not a tuple of non-negative ints") }
        guard shape.count == stride.count else { throw invalid("size has \(shape.count) dimensions but stride has \(stride.count)") }
        return .object(TorchTensorRef(storage: storage, dtype: dtype, offset: offset, shape: shape, stride: stride))
    }

    func build(_ instance: PickleValue, state: PickleValue, offset: Int) throws -> PickleValue {
        // `model.state_dict()` is an OrderedDict with a `_metadata` attribute (module versions):
        // BUILD sets it; lmzoo keeps only the items.
        guard case .dict = instance else {
            throw TorchCheckpointError.typeMismatch(opcode: "BUILD", expected: "an OrderedDict", got: instance.kindName, offset: offset)
        }
        return instance
    }

    func persistentLoad(_ id: PickleValue, offset: Int) throws -> PickleValue {
        guard case let .tuple(tuple) = id else { throw TorchCheckpointError.invalidPersistentID(id.kindName, offset: offset) }
        let items = tuple.items
        guard items.count == 5, items[0].stringValue == "storage" || items[0].bytesValue == Array("storage".utf8) else {
            throw TorchCheckpointError.invalidPersistentID("a \(items.count)-tuple not starting with 'storage'", offset: offset)
        }
        guard case let .global(type) = items[1] else {
            throw TorchCheckpointError.invalidPersistentID("a tuple whose storage type is \(items[1].kindName)", offset: offset)
        }
        let dtype: DType
        let untyped = Self.untypedStorageTypes.contains(type.qualifiedName)
        if untyped {
            dtype = .u8
        } else if let typed = Self.storageTypes[type.qualifiedName] {
            dtype = typed
        } else {
            throw TorchCheckpointError.invalidPersistentID("a tuple whose storage type is \(type.qualifiedName)", offset: offset)
        }
        guard let key = items[2].stringValue ?? items[2].intValue.map(String.init) else {
            throw TorchCheckpointError.invalidPersistentID("a tuple whose key is \(items[2].kindName)", offset: offset)
        }
        guard let numel = items[4].intValue, numel >= 0, dtype.byteCount(elements: numel) != nil else {
            throw TorchCheckpointError.invalidPersistentID("a tuple whose numel is not a non-negative int", offset: offset)
        }
        return .object(TorchStorageRef(key: key, dtype: dtype, untyped: untyped, numel: numel))
    }
}

extension PickleValue {
    var bytesValue: [UInt8]? { if case let .bytes(value) = self { value } else { nil } }
}
