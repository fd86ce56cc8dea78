/// Tensor naming conventions lmzoo converts between (`--layout`).
public enum LayoutName: String, CaseIterable, Sendable {
    /// Hugging Face checkpoints (`model.safetensors` of the base model: `wte.weight`, `h.0.attn.c_attn.weight`).
    case hf
    /// PyTorch `state_dict()` as the reference code saves it (GPT-2: `GPT2LMHeadModel`, `transformer.` prefix;
    /// LSTM: pytorch/examples `word_language_model`: `encoder`, `rnn`, `decoder`).
    case torch
    /// Keras 3 weights (`layers.<layer>.vars.<i>`, `layers.<lstm>.cell.vars.<i>`).
    case keras
    /// llama.cpp / GGUF (`token_embd.weight`, `blk.0.attn_qkv.weight`).
    case gguf
}

/// How a tensor's values change on the way from the canonical name to another convention's.
public enum TensorTransform: Sendable, Equatable {
    case identity
    /// 2-D transpose: PyTorch `Conv1D` / Keras `[in, out]` <-> `nn.Linear` / ggml `[out, in]`.
    case transpose
}

/// A name pattern with at most one `{n}` placeholder for a layer index (`h.{n}.ln_1.weight`).
public struct NamePattern: Sendable, Equatable {
    public let text: String
    private let prefix: Substring
    private let suffix: Substring?

    public init(_ text: String) {
        self.text = text
        if let range = text.range(of: "{n}") {
            prefix = text[..<range.lowerBound]
            suffix = text[range.upperBound...]
        } else {
            prefix = Substring(text)
            suffix = nil
        }
    }

    /// The layer index if `name` matches (`-1` for a pattern without `{n}`), else nil.
    public func match(_ name: String) -> Int? {
        guard let suffix else { return name == text ? -1 : nil }
        guard name.count > prefix.count + suffix.count, name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard middle.allSatisfy(\.isASCII), let index = Int(middle), index >= 0, String(index) == middle else { return nil }
        return index
    }

    /// The name for layer `index`.
    public func name(layer index: Int) -> String {
        guard let suffix else { return text }
        return "\(prefix)\(index)\(suffix)"
    }
}

/// One row of a name table: a canonical name, its name in another convention, the transform.
public struct NameRule: Sendable {
    public let canonical: NamePattern
    public let other: NamePattern
    public let transform: TensorTransform

    public init(_ canonical: String, _ other: String, _ transform: TensorTransform = .identity) {
        self.canonical = NamePattern(canonical)
        self.other = NamePattern(other)
        self.transform = transform
    }
}

/// A bidirectional mapping between the canonical names of an architecture and one ecosystem's,
/// as data (gguf-py's `tensor_mapping.py` plays this role for llama.cpp).
public struct NameTable: Sendable {
    public let rules: [NameRule]
    /// Canonical tensors the other convention does not keep (buffers such as GPT-2's causal mask).
    public let dropped: [NamePattern]

    public init(_ rules: [NameRule], dropped: [String] = []) {
        self.rules = rules
        self.dropped = dropped.map(NamePattern.init)
    }

    /// The other convention's name and the transform for a canonical name; nil if unmapped.
    public func forward(_ canonical: String) -> (name: String, transform: TensorTransform)? {
        for rule in rules {
            if let layer = rule.canonical.match(canonical) { return (rule.other.name(layer: layer), rule.transform) }
        }
        return nil
    }

    /// The canonical name and transform for another convention's name; nil if unmapped.
    public func backward(_ other: String) -> (name: String, transform: TensorTransform)? {
        for rule in rules {
            if let layer = rule.other.match(other) { return (rule.canonical.name(layer: layer), rule.transform) }
        }
        return nil
    }

    /// True when `canonical` is a tensor this convention deliberately leaves out.
    public func drops(_ canonical: String) -> Bool { dropped.contains { $0.match(canonical) != nil } }

    /// Renames (and transforms) every tensor of `store` in one direction. Unmapped tensors are an
    /// error unless dropped by the table; `notes` collects what was dropped.
    public func apply(to store: TensorStore, forward: Bool, notes: inout [String]) throws -> TensorStore {
        var out = TensorStore(metadata: store.metadata)
        for (name, tensor) in store.entries {
            if forward, drops(name) {
                notes.append("dropped \(name) (not a weight in the target convention)")
                continue
            }
            guard let (mapped, transform) = forward ? self.forward(name) : backward(name) else {
                throw LayoutError.unmappedTensor(name)
            }
            try out.add(mapped, try transform.apply(to: tensor))
        }
        return out
    }
}

extension TensorTransform {
    /// `tensor` transformed (the same view for identity; an owned copy otherwise).
    public func apply(to tensor: Tensor) throws -> Tensor {
        switch self {
        case .identity: tensor
        case .transpose: try tensor.transposed2D()
        }
    }
}

/// Why a layout conversion failed.
public enum LayoutError: Error, Equatable, CustomStringConvertible {
    case unmappedTensor(String)
    case unknownLayout(String)
    case unsupported(architecture: String, layout: LayoutName)
    case cannotDetect(String)
    case notTwoDimensional(String)
    case inconsistent(String)
    /// The target convention cannot hold part of the model (which part, and why).
    case headHasNoNames(String)

    public var description: String {
        switch self {
        case let .unmappedTensor(name): "layout: no mapping for tensor '\(name)'"
        case let .unknownLayout(name): "unknown layout '\(name)' (known: \(LayoutName.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .unsupported(arch, layout): "layout: \(arch) has no \(layout.rawValue) convention"
        case let .cannotDetect(what): "layout: cannot tell \(what) from the tensor names; pass --arch"
        case let .notTwoDimensional(name): "layout: tensor '\(name)' must be 2-D to transpose"
        case let .inconsistent(what): "layout: \(what)"
        case let .headHasNoNames(what): "layout: cannot write \(what); pass --drop-head to convert without it"
        }
    }
}
