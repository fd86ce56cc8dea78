import LMZooCore

/// GPT-2's tensor names per ecosystem, as data. Canonical = Hugging Face `GPT2Model` (`wte.weight`,
/// `h.{n}...`); PyTorch `GPT2LMHeadModel.state_dict()` adds the `transformer.` prefix and keeps
/// `lm_head.weight`; GGUF names and the Conv1D `[in, out]` -> `[out, in]` transposes follow llama.cpp's
/// `convert_hf_to_gguf.py` (which also writes `output.weight` as the tied token embedding).
public enum GPT2Layout {
    /// Canonical module -> llama.cpp name, one row per role (`.weight` and `.bias` alike).
    public static let gguf = NameTable(rows: [
        [NameRule("wte.weight", "token_embd.weight")],
        [NameRule("wpe.weight", "position_embd.weight")],
        NameRule.module("h.{n}.ln_1", "blk.{n}.attn_norm"),
        NameRule.module("h.{n}.attn.c_attn", "blk.{n}.attn_qkv", .transpose),
        NameRule.module("h.{n}.attn.c_proj", "blk.{n}.attn_output", .transpose),
        NameRule.module("h.{n}.ln_2", "blk.{n}.ffn_norm"),
        NameRule.module("h.{n}.mlp.c_fc", "blk.{n}.ffn_up", .transpose),
        NameRule.module("h.{n}.mlp.c_proj", "blk.{n}.ffn_down", .transpose),
        NameRule.module("ln_f", "output_norm"),
        [NameRule("lm_head.weight", "output.weight")],
    ], dropped: ["h.{n}.attn.bias", "h.{n}.attn.masked_bias"], tied: [(name: "output.weight", copyOf: "token_embd.weight")])

    /// Canonical names with the `GPT2LMHeadModel` prefix (`lm_head.weight` has none).
    public static let torchPrefix = "transformer."

    /// The plugin's ``ArchitectureDescriptor/layouts``.
    public static let layouts = ArchitectureLayouts(
        canonical: .hf,
        conventions: [.torch: .prefixed(torchPrefix, except: ["lm_head.weight"]), .gguf: .table(gguf)],
        recognises: { names in
            names.contains { $0.hasSuffix("wte.weight") || $0.hasSuffix("attn.c_attn.weight") }
                || names.contains { $0.hasPrefix("blk.") && $0.hasSuffix("attn_qkv.weight") }
        },
        detect: { names in names.contains { $0.hasPrefix(torchPrefix) } ? .torch : .hf })
}
