/// What an architecture plugin knows about its tensor names (``ArchitectureDescriptor/layouts``):
/// how to recognise them, which convention a store follows, and how each convention it supports
/// maps to and from its canonical names. ``LayoutConverter`` asks the registry for these; it knows
/// no architecture itself.
public struct ArchitectureLayouts: Sendable {
    /// The convention whose names are canonical (Hugging Face's for GPT-2 and BERT, PyTorch's for the LSTM).
    public let canonical: LayoutName
    /// The conventions it converts between, each a pair of mappings through the canonical names
    /// (the canonical convention may be left out: it is then the identity).
    public let conventions: [LayoutName: LayoutConvention]
    /// True when a set of tensor names is this architecture's, in any of its conventions
    /// (`lmzoo convert` and loading use it when no config or metadata names the architecture).
    public let recognises: @Sendable (Set<String>) -> Bool
    /// The convention a list of names follows, when the generic markers (GGUF's `blk.` /
    /// `token_embd.weight`, Keras's `layers.`) do not say; nil: ``canonical``.
    public let detect: (@Sendable ([String]) -> LayoutName?)?

    public init(canonical: LayoutName, conventions: [LayoutName: LayoutConvention],
                recognises: @escaping @Sendable (Set<String>) -> Bool, detect: (@Sendable ([String]) -> LayoutName?)? = nil) {
        self.canonical = canonical
        self.conventions = conventions
        self.recognises = recognises
        self.detect = detect
    }

    /// Every convention this architecture has (the canonical one included).
    public var supported: [LayoutName] { LayoutName.allCases.filter { $0 == canonical || conventions[$0] != nil } }

    /// The convention `names` follow.
    public func layout(of names: [String]) -> LayoutName {
        if names.contains(where: { $0.hasPrefix("blk.") || $0 == "token_embd.weight" }) { return .gguf }
        if names.contains(where: { $0.hasPrefix("layers.") }) { return .keras }
        return detect?(names) ?? canonical
    }

    /// The mapping for `layout`; for the canonical convention, the identity unless ``conventions``
    /// gives one (BERT reads its canonical names with or without the `bert.` prefix).
    public func convention(_ layout: LayoutName) -> LayoutConvention? {
        conventions[layout] ?? (layout == canonical ? .canonical : nil)
    }
}

/// One naming convention of an architecture, as two mappings through its canonical names.
public struct LayoutConvention: Sendable {
    /// This convention's tensors under canonical names; `notes` says what was dropped or synthesised.
    public let toCanonical: @Sendable (TensorStore, inout [String]) throws -> TensorStore
    /// Canonical tensors in this convention; a part it has no names for is refused unless `dropHead`.
    public let fromCanonical: @Sendable (TensorStore, _ dropHead: Bool, inout [String]) throws -> TensorStore

    public init(toCanonical: @escaping @Sendable (TensorStore, inout [String]) throws -> TensorStore,
                fromCanonical: @escaping @Sendable (TensorStore, _ dropHead: Bool, inout [String]) throws -> TensorStore) {
        self.toCanonical = toCanonical
        self.fromCanonical = fromCanonical
    }

    /// The canonical names themselves.
    public static let canonical = LayoutConvention(toCanonical: { store, _ in store }, fromCanonical: { store, _, _ in store })

    /// A convention given by a ``NameTable`` (GGUF's names), applied backward on the way in and forward on the way out.
    public static func table(_ table: NameTable) -> LayoutConvention {
        LayoutConvention(toCanonical: { store, notes in try table.apply(to: store, forward: false, notes: &notes) },
                         fromCanonical: { store, dropHead, notes in try table.apply(to: store, forward: true, dropHead: dropHead, notes: &notes) })
    }

    /// A convention that renames tensor by tensor (a prefix such as PyTorch's `transformer.`): `in`
    /// gives the canonical name, `out` the convention's; the tensors are shared.
    public static func renaming(in toCanonical: @escaping @Sendable (String) -> String,
                                out fromCanonical: @escaping @Sendable (String) -> String) -> LayoutConvention {
        LayoutConvention(toCanonical: { store, _ in try store.renamed(toCanonical) },
                         fromCanonical: { store, _, _ in try store.renamed(fromCanonical) })
    }

    /// Names with `prefix` in this convention (`transformer.`), except those in `except` (`lm_head.weight`);
    /// names without it are read as canonical.
    public static func prefixed(_ prefix: String, except: Set<String> = []) -> LayoutConvention {
        renaming(in: { $0.removingPrefix(prefix) }, out: { except.contains($0) ? $0 : prefix + $0 })
    }
}

extension TensorStore {
    /// This store with every tensor renamed by `rename` (tensors shared; metadata and extras kept).
    public func renamed(_ rename: (String) -> String) throws -> TensorStore {
        var out = TensorStore(metadata: metadata)
        out.formatExtras = formatExtras
        for (name, tensor) in entries { try out.add(rename(name), tensor) }
        return out
    }
}

extension String {
    /// This string without `prefix`, if it starts with it.
    public func removingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
