"""Make the LSTM parity fixtures with PyTorch and Keras 3 (pip: torch keras safetensors numpy).

    KERAS_BACKEND=torch python Tests/Fixtures/make_lstm_fixtures.py

Writes Tests/Fixtures/lstm/:
  tied/           config.json + model.safetensors + vocab.json (characters): pytorch/examples
                  word_language_model RNNModel, 2 layers, E = H = 24, decoder tied to the encoder
  untied/         the same with E = 16 != H = 24 and an untied decoder (vocab.json: words)
  prefixed.pt     untied/'s state dict saved as {"model": state_dict} (names `model.encoder.weight` ...),
                  no config: lmzoo recognises it by structure (expected: untied's)
  model.keras     Keras Sequential Embedding(50, 16) -> LSTM(24) -> LSTM(24) -> Dense(50)
  hard.keras      Embedding(50, 8) -> LSTM(12) x 2 -> Dense(50), recurrent_activation="hard_sigmoid"
  expected.json   per model: "ids" and "logprobs" ([T][V]: log_softmax of the decoder output after
                  ids[..t]), from torch.nn.LSTM / keras's LSTM.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lstm")
os.makedirs(HERE, exist_ok=True)
V, T = 50, 16
torch.manual_seed(1234)
rng = np.random.default_rng(1234)


class RNNModel(torch.nn.Module):
    """pytorch/examples word_language_model/model.py RNNModel (LSTM, no dropout)."""

    def __init__(self, ntoken, ninp, nhid, nlayers, tie):
        super().__init__()
        self.encoder = torch.nn.Embedding(ntoken, ninp)
        self.rnn = torch.nn.LSTM(ninp, nhid, nlayers)
        self.decoder = torch.nn.Linear(nhid, ntoken)
        if tie:
            self.decoder.weight = self.encoder.weight
        for p in self.parameters():  # larger than the default init, so the gates saturate somewhat
            torch.nn.init.uniform_(p, -0.5, 0.5)

    def forward(self, ids):  # ids: (T, 1)
        output, _ = self.rnn(self.encoder(ids))
        return torch.log_softmax(self.decoder(output), dim=-1)


def torch_fixture(name, emb, hid, tie, vocab):
    model = RNNModel(V, emb, hid, 2, tie).eval()
    ids = rng.integers(0, V, T).tolist()
    with torch.no_grad():
        logprobs = model(torch.tensor(ids).view(T, 1))[:, 0, :].double().numpy()
    directory = os.path.join(HERE, name)
    os.makedirs(directory, exist_ok=True)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(directory, "model.safetensors"))
    config = {"model_type": "lstm", "vocab_size": V, "embedding_size": emb, "hidden_size": hid,
              "num_layers": 2, "tie_weights": tie}
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(directory, "vocab.json"), "w") as f:
        json.dump(vocab, f)
    return model, {"ids": ids, "logprobs": np.round(logprobs, 9).tolist()}


chars = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW ")
words = ["<unk>", "<eos>"] + [f"w{i}" for i in range(V - 2)]
expected = {}
_, expected["tied"] = torch_fixture("tied", 24, 24, True, chars)
untied, expected["untied"] = torch_fixture("untied", 16, 24, False, words)
torch.save({"model": untied.state_dict()}, os.path.join(HERE, "prefixed.pt"))

import keras  # noqa: E402

keras.utils.set_random_seed(7)


def keras_fixture(file, activation, emb, hid):
    init = keras.initializers.RandomUniform(-0.5, 0.5, seed=3)
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(V, emb, embeddings_initializer=init),
        keras.layers.LSTM(hid, return_sequences=True, recurrent_activation=activation,
                          kernel_initializer=init, recurrent_initializer=init, bias_initializer=init),
        keras.layers.LSTM(hid, return_sequences=True, recurrent_activation=activation,
                          kernel_initializer=init, recurrent_initializer=init, bias_initializer=init),
        keras.layers.Dense(V, kernel_initializer=init, bias_initializer=init),
    ])
    ids = rng.integers(0, V, T).tolist()
    logits = np.asarray(keras.ops.convert_to_numpy(model(np.array([ids], dtype="int32"))))[0].astype(np.float64)
    # log_softmax in float64 of the float32 logits (the logits are Keras's; the normalisation is exact)
    logprobs = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) - logits.max(-1, keepdims=True)
    model.save(os.path.join(HERE, file))
    return {"ids": ids, "logprobs": np.round(logprobs, 9).tolist()}


expected["keras"] = keras_fixture("model.keras", "sigmoid", 16, 24)
expected["keras_hard"] = keras_fixture("hard.keras", "hard_sigmoid", 8, 12)

with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(expected, f, separators=(",", ":"))
print("wrote", HERE)
