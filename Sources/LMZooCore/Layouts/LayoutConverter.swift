/// Converts a checkpoint's tensor names and shapes from one ecosystem's convention to another's:
/// source convention -> canonical names of the architecture -> target convention (N + M pieces).
public enum LayoutConverter {
    /// The architectures whose conventions lmzoo knows.
    public static let architectures = ["gpt2", "bert", "lstm"]

    /// Guesses the architecture from tensor names (GGUF files name it in `general.architecture`).
    public static func detectArchitecture(_ store: TensorStore) -> String? {
        let names = Set(store.names)
        func any(_ test: (String) -> Bool) -> Bool { names.contains(where: test) }
        if any({ $0.hasSuffix("wte.weight") || $0.hasSuffix("attn.c_attn.weight") }) { return "gpt2" }
        if any({ $0.hasSuffix("word_embeddings.weight") }) { return "bert" }
        if any({ $0.contains("weight_ih_l0") || $0.contains(".cell.vars.") }) { return "lstm" }
        if any({ $0.hasPrefix("blk.") && $0.hasSuffix("attn_qkv.weight") }) { return "gpt2" }
        if any({ $0 == "token_types.weight" }) { return "bert" }
        return nil
    }

    /// The convention `store`'s names follow, for `architecture`.
    public static func detectLayout(_ store: TensorStore, architecture: String) -> LayoutName? {
        let names = store.names
        if names.contains(where: { $0.hasPrefix("blk.") || $0 == "token_embd.weight" }) { return .gguf }
        if names.contains(where: { $0.hasPrefix("layers.") }) { return .keras }
        switch architecture {
        case "gpt2": return names.contains { $0.hasPrefix(GPT2Layout.torchPrefix) } ? .torch : .hf
        case "lstm": return .torch
        default: return .hf
        }
    }

    /// `store` in the `target` convention; `notes` says what was dropped or synthesised. A head the
    /// target has no names for (BERT's masked-LM head in GGUF) is refused
    /// (``LayoutError/headHasNoNames(_:)``) unless `dropHead`.
    public static func convert(_ store: TensorStore, architecture: String?, to target: LayoutName, dropHead: Bool = false,
                               notes: inout [String]) throws -> TensorStore {
        guard let architecture = architecture.flatMap({ architectures.contains($0) ? $0 : nil }) ?? detectArchitecture(store) else {
            throw LayoutError.cannotDetect("the architecture")
        }
        guard let source = detectLayout(store, architecture: architecture) else { throw LayoutError.cannotDetect("the layout") }
        if source == target { return store }
        let canonical = try toCanonical(store, architecture: architecture, from: source, notes: &notes)
        return try fromCanonical(canonical, architecture: architecture, to: target, dropHead: dropHead, notes: &notes)
    }

    static func toCanonical(_ store: TensorStore, architecture: String, from source: LayoutName, notes: inout [String]) throws -> TensorStore {
        switch (architecture, source) {
        case ("gpt2", .hf), ("lstm", .torch), ("lstm", .hf): return store
        case ("gpt2", .torch): return try renaming(store) { strip($0, GPT2Layout.torchPrefix) }
        case ("bert", .hf), ("bert", .torch): return try renaming(store) { strip($0, BERTLayout.modelPrefix) }
        case ("gpt2", .gguf): return try GPT2Layout.gguf.apply(to: store, forward: false, notes: &notes)
        case ("bert", .gguf): return try BERTLayout.gguf.apply(to: store, forward: false, notes: &notes)
        case ("lstm", .keras): return try LSTMLayout.fromKeras(store)
        default: throw LayoutError.unsupported(architecture: architecture, layout: source)
        }
    }

    static func fromCanonical(_ store: TensorStore, architecture: String, to target: LayoutName, dropHead: Bool,
                              notes: inout [String]) throws -> TensorStore {
        switch (architecture, target) {
        case ("gpt2", .hf), ("bert", .hf), ("bert", .torch), ("lstm", .torch), ("lstm", .hf): return store
        case ("gpt2", .torch):
            return try renaming(store) { $0 == "lm_head.weight" ? $0 : GPT2Layout.torchPrefix + $0 }
        case ("gpt2", .gguf):
            var out = try GPT2Layout.gguf.apply(to: store, forward: true, notes: &notes)
            if out["output.weight"] == nil, let embedding = out["token_embd.weight"] {
                // As llama.cpp's converter: GPT-2's output projection is tied to the token embedding.
                try out.add("output.weight", embedding)
                notes.append("output.weight written as the tied token embedding")
            }
            return out
        case ("bert", .gguf):
            var filtered = TensorStore(metadata: store.metadata)
            for (name, tensor) in store.entries where !name.hasPrefix("cls.") { try filtered.add(name, tensor) }
            if filtered.count < store.count {
                // llama.cpp's GGUF BERT (and its converter, which skips cls.predictions.*) has no names for it.
                guard dropHead else { throw LayoutError.headHasNoNames("the masked-LM head (cls.*): llama.cpp's GGUF BERT has no names for it") }
                notes.append("dropped the masked-LM head (cls.*): llama.cpp's BERT has none")
            }
            return try BERTLayout.gguf.apply(to: filtered, forward: true, notes: &notes)
        case ("lstm", .keras): return try LSTMLayout.toKeras(store)
        default: throw LayoutError.unsupported(architecture: architecture, layout: target)
        }
    }

    private static func strip(_ name: String, _ prefix: String) -> String {
        name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
    }

    private static func renaming(_ store: TensorStore, _ rename: (String) -> String) throws -> TensorStore {
        var out = TensorStore(metadata: store.metadata)
        out.formatExtras = store.formatExtras
        for (name, tensor) in store.entries { try out.add(rename(name), tensor) }
        return out
    }
}
