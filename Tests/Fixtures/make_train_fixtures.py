"""Gradient parity fixtures for the training engine (Tests/Fixtures/train/), made with PyTorch and
Hugging Face transformers:

- lstm_{weights,grads}.safetensors + lstm_batch.json: a 2-layer word_language_model LSTM (torch.nn.LSTM,
  nn.Embedding, nn.Linear decoder; PyTorch names), one batch, mean next-token cross-entropy, its gradients.
- gpt2_{weights,grads}.safetensors + gpt2_batch.json: a 2-layer GPT2LMHeadModel (gelu_new, no dropout,
  LM head tied to wte, so wte's gradient includes the head's), same loss.
- bert_{weights,grads}.safetensors + bert_batch.json: a 2-layer BertForMaskedLM (erf gelu, no dropout, eps
  1e-12, decoder tied to the word embedding), one masked-LM batch: targets -1 where not selected (ignored).

Weights are drawn larger than the libraries' defaults so every gradient is well above f32 rounding.
Run: ~/.cache/lmzoo-venv/bin/python Tests/Fixtures/make_train_fixtures.py
"""
import json
import os

import torch
from safetensors.torch import save_file

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train")
os.makedirs(HERE, exist_ok=True)
torch.manual_seed(0)


def batch(vocab, B, T):
    windows = torch.randint(0, vocab, (B, T + 1))
    return windows[:, :-1].contiguous(), windows[:, 1:].contiguous()


def write(name, model, inputs, targets, loss):
    params = {n: p.detach().contiguous() for n, p in model.named_parameters()}
    grads = {n: p.grad.detach().contiguous() for n, p in model.named_parameters()}
    save_file(params, os.path.join(HERE, f"{name}_weights.safetensors"))
    save_file(grads, os.path.join(HERE, f"{name}_grads.safetensors"))
    with open(os.path.join(HERE, f"{name}_batch.json"), "w") as f:
        json.dump({"inputs": inputs.tolist(), "targets": targets.tolist(), "loss": loss.item()}, f)


class RNNModel(torch.nn.Module):
    """pytorch/examples word_language_model RNNModel (LSTM, no dropout, untied)."""

    def __init__(self, V, E, H, L):
        super().__init__()
        self.encoder = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.LSTM(E, H, L)
        self.decoder = torch.nn.Linear(H, V)

    def forward(self, ids_tb):
        out, _ = self.rnn(self.encoder(ids_tb))
        return self.decoder(out)


def lstm():
    V, E, H, L, B, T = 11, 6, 8, 2, 3, 7
    model = RNNModel(V, E, H, L)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)
    inputs, targets = batch(V, B, T)
    logits = model(inputs.t())  # (T, B, V)
    loss = torch.nn.functional.cross_entropy(logits.permute(1, 0, 2).reshape(-1, V), targets.reshape(-1))
    loss.backward()
    write("lstm", model, inputs, targets, loss)


def gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    V, B, T = 13, 2, 6
    config = GPT2Config(vocab_size=V, n_positions=8, n_embd=8, n_layer=2, n_head=2, activation_function="gelu_new",
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, layer_norm_epsilon=1e-5)
    model = GPT2LMHeadModel(config).float()
    model.train()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.normal_(1.0 if ("ln_" in name and name.endswith("weight")) else 0.0, 0.3)
    inputs, targets = batch(V, B, T)
    logits = model(input_ids=inputs).logits
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    write("gpt2", model, inputs, targets, loss)  # lm_head is wte (one parameter): its gradient is in wte's


def bert():
    from transformers import BertConfig, BertForMaskedLM

    V, B, T = 13, 2, 6
    config = BertConfig(vocab_size=V, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=12,
                        max_position_embeddings=8, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, attn_implementation="eager")
    model = BertForMaskedLM(config).float()
    model.train()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.normal_(1.0 if ("LayerNorm" in name and name.endswith("weight")) else 0.0, 0.3)
    inputs = torch.randint(0, V, (B, T))
    targets = torch.where(torch.rand(B, T) < 0.5, torch.randint(0, V, (B, T)), torch.full((B, T), -1))
    logits = model(input_ids=inputs).logits
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-1)
    loss.backward()
    write("bert", model, inputs, targets, loss)  # the decoder is the word embedding: its gradient is in it


if __name__ == "__main__":
    lstm()
    gpt2()
    bert()
