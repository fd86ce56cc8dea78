/// The JSON documents of the model commands as CLI.md names their fields, shared by the CLI
/// (`lmzoo tokenize|predict|score|fill-mask|embed --json`) and `lmzoo serve`'s routes, so both answer alike.
public enum ResultJSON {
    /// `{"ids":[...],"tokens":[...]}`: `text` as the model's tokenizer encodes it.
    public static func tokenize(_ text: String, with tokenizer: any Tokenizer) throws -> JSONValue {
        let ids = try tokenizer.encode(text)
        return ["ids": .array(ids.map { .int($0) }), "tokens": .array(ids.map { .string(tokenizer.token(for: $0) ?? "") })]
    }

    /// `{"ids":[context ids],"next":[{"id","token","logprob"}]}`.
    public static func predict(context: [Int], next: [TokenPrediction]) -> JSONValue {
        ["ids": .array(context.map { .int($0) }), "next": .array(next.map(\.json))]
    }

    /// `{"tokens","logprob","log10prob","perplexity","bits_per_byte"?,"oov"?,"oov_rate"?,"spelling_logprob"?,"per_token"?}`
    /// (the caller adds `timings`). `bits_per_byte` is null for a text of which no token was scored and
    /// absent for ids; the OOV fields come with models that can have OOV (``ScoreResult/oovCount``).
    public static func score(_ result: ScoreResult, perToken: Bool) -> JSONObject {
        var json = JSONObject([
            ("tokens", .int(result.tokenCount)), ("logprob", .double(result.logProb)), ("log10prob", .double(result.log10Prob)),
            ("perplexity", result.perplexity.map(JSONValue.double) ?? .null),
        ])
        if result.utf8Bytes != nil { json["bits_per_byte"] = result.bitsPerByte.map(JSONValue.double) ?? .null }
        if let oov = result.oovCount {
            json["oov"] = .int(oov)
            json["oov_rate"] = result.oovRate.map(JSONValue.double) ?? .null
            json["spelling_logprob"] = .double(result.spellingLogProb)
        }
        if perToken { json["per_token"] = .array(result.perToken.map(JSONValue.double)) }
        return json
    }

    /// `{"masks":[{"position","candidates":[{"id","token","logprob"}]}]}`.
    public static func fillMask(_ masks: [MaskPrediction]) -> JSONValue {
        ["masks": .array(masks.map { ["position": .int($0.position), "candidates": .array($0.candidates.map(\.json))] })]
    }

    /// One JSON array of numbers per embedding.
    public static func embeddings(_ vectors: [[Float]]) -> JSONValue {
        .array(vectors.map { .array($0.map { .double(Double($0)) }) })
    }
}

extension TokenPrediction {
    /// `{"id","token","logprob"}` as CLI.md names the fields.
    public var json: JSONValue { ["id": .int(id), "token": .string(token), "logprob": .double(logProb)] }
}
