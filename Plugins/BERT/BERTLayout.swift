import LMZooCore

/// BERT's tensor names per ecosystem, as data. Canonical = Hugging Face `BertModel`
/// (`embeddings.word_embeddings.weight`, `encoder.layer.{n}...`); checkpoints of `BertFor*` classes
/// carry a `bert.` prefix, stripped on the way in. GGUF names follow llama.cpp's BERT converter (no
/// transposes: `nn.Linear` already is `[out, in]`; no names for the masked-LM head `cls.*`, so it is
/// refused unless dropped).
public enum BERTLayout {
    /// Canonical module -> llama.cpp name, one row per role (`.weight` and `.bias` alike).
    public static let gguf = NameTable(rows: [
        [NameRule("embeddings.word_embeddings.weight", "token_embd.weight")],
        [NameRule("embeddings.position_embeddings.weight", "position_embd.weight")],
        [NameRule("embeddings.token_type_embeddings.weight", "token_types.weight")],
        NameRule.module("embeddings.LayerNorm", "token_embd_norm"),
        NameRule.module("encoder.layer.{n}.attention.self.query", "blk.{n}.attn_q"),
        NameRule.module("encoder.layer.{n}.attention.self.key", "blk.{n}.attn_k"),
        NameRule.module("encoder.layer.{n}.attention.self.value", "blk.{n}.attn_v"),
        NameRule.module("encoder.layer.{n}.attention.output.dense", "blk.{n}.attn_output"),
        NameRule.module("encoder.layer.{n}.attention.output.LayerNorm", "blk.{n}.attn_output_norm"),
        NameRule.module("encoder.layer.{n}.intermediate.dense", "blk.{n}.ffn_up"),
        NameRule.module("encoder.layer.{n}.output.dense", "blk.{n}.ffn_down"),
        NameRule.module("encoder.layer.{n}.output.LayerNorm", "blk.{n}.layer_output_norm"),
    ], dropped: ["embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"],
       head: NameTable.Head(prefix: "cls.", refusal: "the masked-LM head (cls.*): llama.cpp's GGUF BERT has no names for it",
                            note: "dropped the masked-LM head (cls.*): llama.cpp's BERT has none"))

    /// The prefix of `BertFor*` checkpoints.
    public static let modelPrefix = "bert."

    /// The plugin's ``ArchitectureDescriptor/layouts``: Hugging Face and PyTorch names are the same
    /// (read with or without `bert.`, written without).
    public static let layouts: ArchitectureLayouts = {
        let unprefixed = LayoutConvention.renaming(in: { $0.removingPrefix(modelPrefix) }, out: { $0 })
        return ArchitectureLayouts(
            canonical: .hf, conventions: [.hf: unprefixed, .torch: unprefixed, .gguf: .table(gguf)],
            recognises: { names in names.contains { $0.hasSuffix("word_embeddings.weight") } || names.contains("token_types.weight") })
    }()
}
