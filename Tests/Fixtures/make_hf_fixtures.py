#!/usr/bin/env python3
"""Make tiny Hugging Face model directories with the reference libraries (transformers, tokenizers, torch).

    ~/.cache/lmzoo-venv/bin/python Tests/Fixtures/make_hf_fixtures.py     # ../shared/tools/ref-venv.sh makes that venv

Writes into Tests/Fixtures/hf/:
  gpt2-tiny/   GPT2LMHeadModel (2 layers, 32 wide, 2 heads, vocabulary 300) saved with save_pretrained
               (model.safetensors, config.json) plus a byte-level BPE tokenizer trained by `tokenizers`
               on the text below (tokenizer.json, vocab.json, merges.txt)
  bert-tiny/   BertForMaskedLM (2 layers, 32 wide, 2 heads) with a WordPiece vocabulary (vocab.txt,
               tokenizer.json)
Random weights (seeded): they are for format and layout tests, not for quality.
"""
import json
import os

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers, normalizers
from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf")
TEXT = """It is a truth universally acknowledged, that a single man in possession of a good fortune,
must be in want of a wife. However little known the feelings or views of such a man may be on his
first entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families,
that he is considered the rightful property of some one or other of their daughters.
The quick brown fox jumps over the lazy dog. 0123456789 !?.,;:'"()[]{}<>-+=*/&%$#@
""" * 4

torch.manual_seed(0)

# GPT-2: byte-level BPE as GPT-2's own tokenizer works (no prefix space), 300 tokens.
gpt2_dir = os.path.join(HERE, "gpt2-tiny")
os.makedirs(gpt2_dir, exist_ok=True)
bpe = Tokenizer(models.BPE())
bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
bpe.decoder = decoders.ByteLevel()
bpe.train_from_iterator([TEXT], trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                                    initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
bpe.save(os.path.join(gpt2_dir, "tokenizer.json"))
bpe.model.save(gpt2_dir)  # vocab.json + merges.txt
vocab_size = bpe.get_vocab_size()
eos = bpe.token_to_id("<|endoftext|>")
config = GPT2Config(vocab_size=vocab_size, n_positions=64, n_embd=32, n_layer=2, n_head=2,
                    bos_token_id=eos, eos_token_id=eos)
GPT2LMHeadModel(config).eval().save_pretrained(gpt2_dir, safe_serialization=True)

# BERT: WordPiece with BERT's special tokens.
bert_dir = os.path.join(HERE, "bert-tiny")
os.makedirs(bert_dir, exist_ok=True)
wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
wordpiece.decoder = decoders.WordPiece()
wordpiece.train_from_iterator([TEXT], trainers.WordPieceTrainer(vocab_size=200, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
wordpiece.save(os.path.join(bert_dir, "tokenizer.json"))
with open(os.path.join(bert_dir, "vocab.txt"), "w") as f:
    for token, _ in sorted(wordpiece.get_vocab().items(), key=lambda kv: kv[1]):
        f.write(token + "\n")
config = BertConfig(vocab_size=wordpiece.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=64, max_position_embeddings=64, pad_token_id=0)
BertForMaskedLM(config).eval().save_pretrained(bert_dir, safe_serialization=True)

for d in (gpt2_dir, bert_dir):
    print(d, sorted(os.listdir(d)), sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)), "bytes")
