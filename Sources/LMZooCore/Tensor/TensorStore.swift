/// An ordered collection of named tensors plus string metadata: what every checkpoint reader
/// produces and every writer consumes.
public struct TensorStore: Sendable {
    /// Tensor names in insertion (file) order.
    public private(set) var names: [String] = []
    private var tensorsByName: [String: Tensor] = [:]
    /// Free-form string metadata (safetensors `__metadata__`, GGUF key/values as text, ...).
    public var metadata: [String: String] = [:]
    /// Format-specific side data that a reader keeps so that a writer of the same format can
    /// reproduce it exactly (e.g. GGUF's typed key/values under `"gguf.kv"`). Other formats ignore it.
    public var formatExtras: [String: any Sendable] = [:]

    /// An empty store.
    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    /// Adds `tensor` under `name`; a name can be added only once.
    public mutating func add(_ name: String, _ tensor: Tensor) throws {
        guard tensorsByName[name] == nil else { throw TensorStoreError.duplicateName(name) }
        names.append(name)
        tensorsByName[name] = tensor
    }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> Tensor? { tensorsByName[name] }

    /// The tensor called `name`, or a ``TensorStoreError/missingTensor(_:)`` error.
    public func tensor(_ name: String) throws -> Tensor {
        guard let tensor = tensorsByName[name] else { throw TensorStoreError.missingTensor(name) }
        return tensor
    }

    /// Number of tensors.
    public var count: Int { names.count }

    /// `(name, tensor)` pairs in order.
    public var entries: [(name: String, tensor: Tensor)] { names.map { ($0, tensorsByName[$0]!) } }

    /// Total bytes of all tensors (shared views counted once per name).
    public var totalByteCount: Int { names.reduce(0) { $0 + tensorsByName[$1]!.byteCount } }

    /// For every tensor that is the very same view as an earlier one (tied weights), the pair
    /// `(alias, original)`, in order. Partial overlaps are not aliases.
    public func aliases() -> [(alias: String, original: String)] {
        struct ViewKey: Hashable {
            let buffer: ObjectIdentifier
            let offset: Int
            let count: Int
            let dtype: DType
            let shape: [Int]
        }
        var result: [(String, String)] = []
        var firstName: [ViewKey: String] = [:]
        for name in names {
            let tensor = tensorsByName[name]!
            guard tensor.byteCount > 0 else { continue }
            let key = ViewKey(buffer: ObjectIdentifier(tensor.buffer), offset: tensor.byteOffset, count: tensor.byteCount,
                              dtype: tensor.dtype, shape: tensor.shape)
            if let original = firstName[key] {
                result.append((name, original))
            } else {
                firstName[key] = name
            }
        }
        return result
    }
}

/// Errors of ``TensorStore``.
public enum TensorStoreError: Error, Equatable, CustomStringConvertible {
    /// Two tensors with one name.
    case duplicateName(String)
    /// A tensor that should be there is not.
    case missingTensor(String)

    public var description: String {
        switch self {
        case let .duplicateName(name): "duplicate tensor name '\(name)'"
        case let .missingTensor(name): "missing tensor '\(name)'"
        }
    }
}
