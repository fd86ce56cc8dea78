"""The `openai` Python package against `lmzoo serve` (ServeClientTests): completions, streamed and not,
and embeddings, printed as one JSON document for the Swift test to compare with the CLI.

    python openai_client.py BASE_URL COMPLETION_MODEL PROMPT MAX_TOKENS EMBEDDING_MODEL TEXT...
"""
import json
import sys

try:
    import openai
except ImportError:
    print(json.dumps({"skip": "the openai package is not installed"}))
    sys.exit(0)

base, model, prompt, max_tokens, embedding_model, *texts = sys.argv[1:]
client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0)
completion = client.completions.create(model=model, prompt=prompt, max_tokens=int(max_tokens), temperature=0)
stream = client.completions.create(model=model, prompt=prompt, max_tokens=int(max_tokens), temperature=0, stream=True)
pieces = [chunk.choices[0].text for chunk in stream if chunk.choices]
embeddings = client.embeddings.create(model=embedding_model, input=texts)  # the client asks for base64 by default
floats = client.embeddings.create(model=embedding_model, input=texts, encoding_format="float")
models = client.models.list()
print(json.dumps({
    "text": completion.choices[0].text,
    "finish_reason": completion.choices[0].finish_reason,
    "completion_tokens": completion.usage.completion_tokens,
    "stream_text": "".join(pieces),
    "stream_chunks": len(pieces),
    "embeddings": [item.embedding for item in embeddings.data],
    "float_embeddings": [item.embedding for item in floats.data],
    "models": [m.id for m in models.data],
}))
