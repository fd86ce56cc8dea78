/// GPT-2 names. Canonical = Hugging Face `GPT2Model` (`wte.weight`, `h.{n}...`); PyTorch
/// `GPT2LMHeadModel.state_dict()` adds the `transformer.` prefix and `lm_head.weight`; GGUF names
/// and the Conv1D `[in, out]` -> `[out, in]` transposes follow llama.cpp's `convert_hf_to_gguf.py`.
public enum GPT2Layout {
    public static let gguf = NameTable([
        NameRule("wte.weight", "token_embd.weight"),
        NameRule("wpe.weight", "position_embd.weight"),
        NameRule("h.{n}.ln_1.weight", "blk.{n}.attn_norm.weight"),
        NameRule("h.{n}.ln_1.bias", "blk.{n}.attn_norm.bias"),
        NameRule("h.{n}.attn.c_attn.weight", "blk.{n}.attn_qkv.weight", .transpose),
        NameRule("h.{n}.attn.c_attn.bias", "blk.{n}.attn_qkv.bias"),
        NameRule("h.{n}.attn.c_proj.weight", "blk.{n}.attn_output.weight", .transpose),
        NameRule("h.{n}.attn.c_proj.bias", "blk.{n}.attn_output.bias"),
        NameRule("h.{n}.ln_2.weight", "blk.{n}.ffn_norm.weight"),
        NameRule("h.{n}.ln_2.bias", "blk.{n}.ffn_norm.bias"),
        NameRule("h.{n}.mlp.c_fc.weight", "blk.{n}.ffn_up.weight", .transpose),
        NameRule("h.{n}.mlp.c_fc.bias", "blk.{n}.ffn_up.bias"),
        NameRule("h.{n}.mlp.c_proj.weight", "blk.{n}.ffn_down.weight", .transpose),
        NameRule("h.{n}.mlp.c_proj.bias", "blk.{n}.ffn_down.bias"),
        NameRule("ln_f.weight", "output_norm.weight"),
        NameRule("ln_f.bias", "output_norm.bias"),
        NameRule("lm_head.weight", "output.weight"),
    ], dropped: ["h.{n}.attn.bias", "h.{n}.attn.masked_bias"])

    /// Canonical names with the `GPT2LMHeadModel` prefix (`lm_head.weight` has none).
    public static let torchPrefix = "transformer."
}

/// BERT names. Canonical = Hugging Face `BertModel` (`embeddings.word_embeddings.weight`,
/// `encoder.layer.{n}...`); checkpoints of `BertFor*` classes carry a `bert.` prefix, stripped on
/// the way in. GGUF names follow llama.cpp's BERT converter (no transposes: `nn.Linear` already is `[out, in]`).
public enum BERTLayout {
    public static let gguf = NameTable([
        NameRule("embeddings.word_embeddings.weight", "token_embd.weight"),
        NameRule("embeddings.position_embeddings.weight", "position_embd.weight"),
        NameRule("embeddings.token_type_embeddings.weight", "token_types.weight"),
        NameRule("embeddings.LayerNorm.weight", "token_embd_norm.weight"),
        NameRule("embeddings.LayerNorm.bias", "token_embd_norm.bias"),
        NameRule("encoder.layer.{n}.attention.self.query.weight", "blk.{n}.attn_q.weight"),
        NameRule("encoder.layer.{n}.attention.self.query.bias", "blk.{n}.attn_q.bias"),
        NameRule("encoder.layer.{n}.attention.self.key.weight", "blk.{n}.attn_k.weight"),
        NameRule("encoder.layer.{n}.attention.self.key.bias", "blk.{n}.attn_k.bias"),
        NameRule("encoder.layer.{n}.attention.self.value.weight", "blk.{n}.attn_v.weight"),
        NameRule("encoder.layer.{n}.attention.self.value.bias", "blk.{n}.attn_v.bias"),
        NameRule("encoder.layer.{n}.attention.output.dense.weight", "blk.{n}.attn_output.weight"),
        NameRule("encoder.layer.{n}.attention.output.dense.bias", "blk.{n}.attn_output.bias"),
        NameRule("encoder.layer.{n}.attention.output.LayerNorm.weight", "blk.{n}.attn_output_norm.weight"),
        NameRule("encoder.layer.{n}.attention.output.LayerNorm.bias", "blk.{n}.attn_output_norm.bias"),
        NameRule("encoder.layer.{n}.intermediate.dense.weight", "blk.{n}.ffn_up.weight"),
        NameRule("encoder.layer.{n}.intermediate.dense.bias", "blk.{n}.ffn_up.bias"),
        NameRule("encoder.layer.{n}.output.dense.weight", "blk.{n}.ffn_down.weight"),
        NameRule("encoder.layer.{n}.output.dense.bias", "blk.{n}.ffn_down.bias"),
        NameRule("encoder.layer.{n}.output.LayerNorm.weight", "blk.{n}.layer_output_norm.weight"),
        NameRule("encoder.layer.{n}.output.LayerNorm.bias", "blk.{n}.layer_output_norm.bias"),
    ], dropped: ["embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"])

    /// The prefix of `BertFor*` checkpoints.
    public static let modelPrefix = "bert."
}
