"""Makes Tests/Fixtures/hmm: a small hmmlearn CategoricalHMM, its reference outputs and malformed files.

Run with the reference venv (hmmlearn 0.3.x, numpy):
    ~/.cache/lmzoo-venv/bin/python Tests/Fixtures/make_hmm_fixtures.py

Writes
  hmm/small.npz            startprob, transmat, emissionprob (float64; hmmlearn's names without "_")
  hmm/small.vocab.json     the 10 symbols "a".."j" (index = id)
  hmm/expected.json        sequences and hmmlearn's answers for them:
                           score per sequence and in total (score with lengths), Viterbi path and
                           log-probability per sequence (decode, algorithm="viterbi"), posteriors
                           (predict_proba), next-symbol log-probabilities after a prefix, and the
                           parameters + per-iteration log-likelihoods of 5 Baum-Welch iterations from
                           the given initial parameters over all sequences (fit with lengths).
  hmm/f32.npz              the small model stored as float32
  hmm/bad_*.npz            one malformed model per validation rule
"""
import json
import os

import hmmlearn
import numpy as np
from hmmlearn import hmm

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hmm")
os.makedirs(HERE, exist_ok=True)
N, V = 6, 10
rng = np.random.default_rng(20240611)


def stochastic(shape):
    a = rng.random(shape) + 0.05
    return a / a.sum(axis=-1, keepdims=True)


startprob, transmat, emissionprob = stochastic(N), stochastic((N, N)), stochastic((N, V))
# A zero transition and a zero emission: log(0) = -inf must be handled like hmmlearn does.
transmat[0, 3] = 0.0
transmat[0] /= transmat[0].sum()
emissionprob[2, 7] = 0.0
emissionprob[2] /= emissionprob[2].sum()

model = hmm.CategoricalHMM(n_components=N, n_features=V, init_params="", params="ste")
model.startprob_, model.transmat_, model.emissionprob_ = startprob, transmat, emissionprob

lengths = [40, 1, 73, 25]
sequences = []
for i, n in enumerate(lengths):
    x, _ = model.sample(n, random_state=100 + i)
    sequences.append([int(v) for v in x[:, 0]])
X = np.concatenate([np.array(s)[:, None] for s in sequences])

per_sequence = []
for s in sequences:
    x = np.array(s)[:, None]
    logprob, path = model.decode(x, algorithm="viterbi")
    per_sequence.append({
        "ids": s,
        "score": float(model.score(x)),
        "viterbi_logprob": float(logprob),
        "viterbi_states": [int(v) for v in path],
        "posteriors": model.predict_proba(x).tolist(),
    })

# Next-symbol log-probabilities after a prefix: log P(prefix + [s]) - log P(prefix), by hmmlearn's score.
prefix = sequences[0][:12]
base = model.score(np.array(prefix)[:, None])
next_after_prefix = [float(model.score(np.array(prefix + [s])[:, None]) - base) for s in range(V)]
empty_prefix = [float(model.score(np.array([[s]]))) for s in range(V)]

# Baum-Welch: 5 iterations from fixed initial parameters (no random init, tolerance never reached).
init = {"startprob": stochastic(N), "transmat": stochastic((N, N)), "emissionprob": stochastic((N, V))}
fit = hmm.CategoricalHMM(n_components=N, n_features=V, init_params="", params="ste", n_iter=5, tol=1e-300,
                         implementation="log")
fit.startprob_ = init["startprob"].copy()
fit.transmat_ = init["transmat"].copy()
fit.emissionprob_ = init["emissionprob"].copy()
fit.fit(X, lengths)
assert fit.monitor_.iter == 5, fit.monitor_

expected = {
    "generator": "hmmlearn %s CategoricalHMM, numpy %s" % (hmmlearn.__version__, np.__version__),
    "num_states": N,
    "vocab_size": V,
    "sequences": per_sequence,
    "total_score": float(model.score(X, lengths)),
    "next_after_prefix": {"prefix": prefix, "logprobs": next_after_prefix},
    "next_after_empty": empty_prefix,
    "baum_welch": {
        "iterations": 5,
        "init": {k: v.tolist() for k, v in init.items()},
        "log_likelihoods": [float(v) for v in fit.monitor_.history],
        "startprob": fit.startprob_.tolist(),
        "transmat": fit.transmat_.tolist(),
        "emissionprob": fit.emissionprob_.tolist(),
    },
}
with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")

np.savez(os.path.join(HERE, "small.npz"), startprob=startprob, transmat=transmat, emissionprob=emissionprob)
with open(os.path.join(HERE, "small.vocab.json"), "w") as f:
    json.dump(list("abcdefghij"), f)
np.savez(os.path.join(HERE, "f32.npz"), startprob=startprob.astype(np.float32), transmat=transmat.astype(np.float32),
         emissionprob=emissionprob.astype(np.float32))


def bad(name, **overrides):
    arrays = {"startprob": startprob, "transmat": transmat, "emissionprob": emissionprob}
    arrays.update(overrides)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(os.path.join(HERE, "bad_%s.npz" % name), **arrays)


t = transmat.copy(); t[2, 1] += 0.01
bad("transmat_row_sum", transmat=t)
s = startprob.copy(); s[0] += 2e-6
bad("startprob_sum", startprob=s)
e = emissionprob.copy(); e[1, 0] -= 0.5; e[1, 1] += 0.5; e[1, 0] = -abs(e[1, 0])
e[1] /= e[1].sum()
assert (e[1] < 0).any()
bad("negative_emission", emissionprob=e)
e = emissionprob.copy(); e[4, 4] = np.nan
bad("nan", emissionprob=e)
bad("transmat_shape", transmat=transmat[:, :5] / transmat[:, :5].sum(axis=1, keepdims=True))
bad("emission_states", emissionprob=emissionprob[:5])
bad("startprob_rank", startprob=startprob[None, :])
bad("missing_transmat", transmat=None)
# Rows off by less than the 1e-6 tolerance still load.
t = transmat.copy(); t[1, 1] += 5e-7
np.savez(os.path.join(HERE, "within_tolerance.npz"), startprob=startprob, transmat=t, emissionprob=emissionprob)
print("wrote", sorted(os.listdir(HERE)))
