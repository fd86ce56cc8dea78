/// An architecture's llama.cpp metadata (``ArchitectureDescriptor/gguf``), typed both ways: the
/// plugin writes `<arch>.*` key/values from a Hugging Face `config.json` (as llama.cpp's
/// `convert_hf_to_gguf.py` `set_gguf_parameters` does), and reads them back as ``GGUFValue``s (never
/// as text) when it loads a GGUF file. The shared parts — `general.*` and the tokenizer's
/// `tokenizer.ggml.*` — are written by the caller (`GGUFModelMetadata` in LMZooFormats).
public struct GGUFArchitecture: Sendable {
    /// `general.architecture` and the prefix of the architecture's keys (usually the registry name; a
    /// GGUF file naming it opens with this plugin: `Checkpoint.architecture` maps it back).
    public let name: String
    /// The `<name>.*` key/values for a `config.json`; a missing or bad key is an error naming it.
    public let keyValues: @Sendable (JSONObject) throws -> [GGUFKeyValue]

    public init(name: String, keyValues: @escaping @Sendable (JSONObject) throws -> [GGUFKeyValue]) {
        self.name = name
        self.keyValues = keyValues
    }
}

extension JSONObject {
    /// The non-negative integer `keys[0]` (else the next key that is present) as a GGUF `uint32`;
    /// throws ``GGUFConfigError`` naming the keys when none is.
    public func ggufUInt32(_ keys: String...) throws -> GGUFValue {
        for key in keys {
            if let value = self[key]?.intValue, value >= 0, value <= Int(UInt32.max) { return .uint32(UInt32(value)) }
        }
        throw GGUFConfigError.missing(keys)
    }

    /// The number `key` as a GGUF `float32`, `fallback` when absent.
    public func ggufFloat32(_ key: String, default fallback: Double) -> GGUFValue {
        .float32(Float(self[key]?.doubleValue ?? fallback))
    }
}

/// A `config.json` that lacks what GGUF metadata needs.
public enum GGUFConfigError: Error, Equatable, CustomStringConvertible {
    case missing([String])

    public var description: String {
        switch self {
        case let .missing(keys): "config.json lacks \(keys.joined(separator: " / "))"
        }
    }
}

extension Array where Element == GGUFKeyValue {
    /// The positive integer value of `key` (any GGUF integer type), nil when absent or not one.
    public func positiveInt(_ key: String) -> Int? {
        guard let value = self[key: key]?.intValue, value > 0 else { return nil }
        return value
    }
}
