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

/// One row of a name table: a tensor role's canonical name, its name in another convention, and
/// the transform. A row may cover several parameters of one module (`parameters: ["weight", "bias"]`:
/// `h.{n}.ln_1` -> `blk.{n}.attn_norm` maps `.weight` and `.bias` alike); the transform then applies to
/// the 2-D `weight` only, biases being 1-D.
public struct NameRule: Sendable {
    public let canonical: NamePattern
    public let other: NamePattern
    public let transform: TensorTransform

    /// A rule for one full tensor name.
    public init(_ canonical: String, _ other: String, _ transform: TensorTransform = .identity) {
        self.canonical = NamePattern(canonical)
        self.other = NamePattern(other)
        self.transform = transform
    }

    /// Rules for the `parameters` of one module (`h.{n}.attn.c_attn` + `.weight`, `.bias`), the
    /// transform applied to `weight`.
    public static func module(_ canonical: String, _ other: String, _ transform: TensorTransform = .identity,
                              parameters: [String] = ["weight", "bias"]) -> [NameRule] {
        parameters.map { NameRule("\(canonical).\($0)", "\(other).\($0)", $0 == "weight" ? transform : .identity) }
    }
}

/// A bidirectional mapping between the canonical names of an architecture and one ecosystem's,
/// as data (gguf-py's `tensor_mapping.py` plays this role for llama.cpp), with what the other
/// convention leaves out (buffers; a head it has no names for) or synthesises (a tied output).
public struct NameTable: Sendable {
    public let rules: [NameRule]
    /// Canonical tensors the other convention does not keep (buffers such as GPT-2's causal mask).
    public let dropped: [NamePattern]
    /// Tensors the other convention needs that the canonical names may lack, each written as a copy of
    /// another of its tensors (GPT-2's GGUF `output.weight` = `token_embd.weight`, as llama.cpp's
    /// converter ties them).
    public let tied: [(name: String, copyOf: String)]
    /// A part of the model the other convention has no names for (BERT's masked-LM head in GGUF):
    /// refused unless the caller drops it.
    public let head: Head?

    /// A canonical-name prefix the other convention cannot hold, and how to say so.
    public struct Head: Sendable {
        /// Canonical names starting with this belong to the head (`cls.`).
        public let prefix: String
        /// What cannot be written, for ``LayoutError/headHasNoNames(_:)``.
        public let refusal: String
        /// The note when it is dropped.
        public let note: String

        public init(prefix: String, refusal: String, note: String) {
            self.prefix = prefix
            self.refusal = refusal
            self.note = note
        }
    }

    public init(_ rules: [NameRule], dropped: [String] = [], tied: [(name: String, copyOf: String)] = [], head: Head? = nil) {
        self.rules = rules
        self.dropped = dropped.map(NamePattern.init)
        self.tied = tied
        self.head = head
    }

    /// A table from rows of rules (``NameRule/module(_:_:_:parameters:)`` gives several per row).
    public init(rows: [[NameRule]], dropped: [String] = [], tied: [(name: String, copyOf: String)] = [], head: Head? = nil) {
        self.init(rows.flatMap { $0 }, dropped: dropped, tied: tied, head: head)
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
    /// error unless dropped by the table; forward, ``head`` is refused unless `dropHead`, and ``tied``
    /// tensors are added; `notes` collects what was dropped or synthesised.
    public func apply(to store: TensorStore, forward: Bool, dropHead: Bool = false, notes: inout [String]) throws -> TensorStore {
        var out = TensorStore(metadata: store.metadata)
        var droppedHead = false
        for (name, tensor) in store.entries {
            if forward, let head, name.hasPrefix(head.prefix) {
                guard dropHead else { throw LayoutError.headHasNoNames(head.refusal) }
                droppedHead = true
                continue
            }
            if forward, drops(name) {
                notes.append("dropped \(name) (not a weight in the target convention)")
                continue
            }
            guard let (mapped, transform) = forward ? self.forward(name) : backward(name) else {
                throw LayoutError.unmappedTensor(name)
            }
            try out.add(mapped, try transform.apply(to: tensor))
        }
        if droppedHead, let head { notes.append(head.note) }
        if forward {
            for (name, source) in tied where out[name] == nil {
                guard let tensor = out[source] else { continue }
                try out.add(name, tensor)
                notes.append("\(name) written as a copy of \(source) (tied)")
            }
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
