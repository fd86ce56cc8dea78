import Foundation
import LMZoo

/// A small architecture defined outside lmzoo's tree, as another package would write one, using only
/// the public API: a character bigram model `logits(next | prev) = embed[prev] . head + bias`.
///
/// - Canonical (Hugging Face) names: `bigram.embed.weight` `[V, C]`, `bigram.head.weight` `[C, V]`
///   (stored `[in, out]`, as GPT-2's `Conv1D`), `bigram.head.bias` `[V]`; PyTorch adds `model.`;
///   GGUF names `token_embd.weight`, `output.weight` `[V, C]` (transposed), `output.bias`.
/// - config.json `{"model_type": "charbigram", "vocab_size": V, "n_embd": C}`; GGUF `general.architecture`
///   `bigram`, `bigram.embedding_length`.
/// - Its model directory keeps the characters as `vocab.json` (`{char: id}`) + an empty `merges.txt`.
enum BigramArchitecture {
    static let name = "charbigram"

    /// Everything the registry needs: one value, registered with `ArchitectureRegistry.register(_:)`.
    static let descriptor = ArchitectureDescriptor(
        name: name, summary: "character bigram (out-of-tree test architecture)", capabilities: [.tokenize, .predict, .score],
        train: { try train($0) }, trainOptions: ["embedding-size"],
        modelDirectory: { try directoryFiles($0) },
        layouts: layouts, gguf: gguf,
        distill: { try distill($0) },
        load: { try load($0) })

    // MARK: names

    static let ggufNames = NameTable(rows: [
        [NameRule("bigram.embed.weight", "token_embd.weight")],
        NameRule.module("bigram.head", "output", .transpose),
    ])

    static let layouts = ArchitectureLayouts(
        canonical: .hf, conventions: [.torch: .prefixed("model."), .gguf: .table(ggufNames)],
        recognises: { names in
            names.contains { $0.hasSuffix("bigram.embed.weight") } || (names.contains("token_embd.weight") && names.contains("output.bias"))
        },
        detect: { names in names.contains { $0.hasPrefix("model.") } ? .torch : .hf })

    // MARK: GGUF metadata (typed both ways)

    /// llama.cpp's name for it (`general.architecture`) differs from the registry's, as a family's may.
    static let ggufName = "bigram"

    static let gguf = GGUFArchitecture(name: ggufName) { config in
        [GGUFKeyValue("\(ggufName).embedding_length", try config.ggufUInt32("n_embd"))]
    }

    // MARK: loading

    static func load(_ source: ModelSource) throws -> BigramModel {
        let layout = layouts.layout(of: source.tensors.names)
        var notes: [String] = []
        let tensors = try layouts.convention(layout)!.toCanonical(source.tensors, &notes)
        let symbols: [String]
        if let directory = source.directory {
            symbols = try HFVocabulary.read(directory: directory).tokens
        } else if let keyValues = GGUFReader.keyValues(of: source.tensors), case let .array(.string(tokens))? = keyValues[key: "tokenizer.ggml.tokens"] {
            // Typed GGUF values: the width is checked against the tensors, no text is parsed.
            guard let width = keyValues.positiveInt("\(ggufName).embedding_length"),
                  try tensors.tensor("bigram.embed.weight").shape.last == width else { throw BigramError("bad \(ggufName).embedding_length") }
            symbols = tokens
        } else {
            throw BigramError("\(source.path): no vocabulary")
        }
        return try BigramModel(symbols: symbols, embed: tensors.tensor("bigram.embed.weight"), head: tensors.tensor("bigram.head.weight"),
                               bias: tensors.tensor("bigram.head.bias"))
    }

    // MARK: model directory

    static func directoryFiles(_ request: ModelDirectoryRequest) throws -> ModelDirectoryFiles {
        let model = try load(request.source)
        return files(symbols: model.symbols, width: model.width)
    }

    static func files(symbols: [String], width: Int) -> ModelDirectoryFiles {
        let vocab = JSONValue.object(JSONObject(symbols.enumerated().map { ($0.element, .int($0.offset)) }))
        return ModelDirectoryFiles(
            config: JSONObject([("model_type", .string(name)), ("vocab_size", .int(symbols.count)), ("n_embd", .int(width))]),
            files: [("vocab.json", Array(vocab.prettyText.utf8)), ("merges.txt", Array("#version: 0.2\n".utf8))])
    }

    /// Writes a model directory with canonical names.
    static func write(symbols: [String], table: [[Double]], to directory: String) throws {
        // One-hot embeddings (C = V) and the log-probabilities as the head: logits = log P(next | prev).
        let V = symbols.count
        var store = TensorStore()
        try store.add("bigram.embed.weight", Tensor(shape: [V, V], floats: (0..<V * V).map { $0 / V == $0 % V ? 1 : 0 }))
        try store.add("bigram.head.weight", Tensor(shape: [V, V], floats: table.flatMap { $0.map { Float(log(max($0, 1e-9))) } }))
        try store.add("bigram.head.bias", Tensor(shape: [V], floats: [Float](repeating: 0, count: V)))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try SafetensorsFormat().write(store, to: directory + "/model.safetensors", options: WriteOptions())
        let files = files(symbols: symbols, width: V)
        try (JSONValue.object(files.config).prettyText + "\n").write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        for (file, bytes) in files.files { try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + file)) }
    }

    // MARK: train and distill

    /// `lmzoo train charbigram`: counts the corpus's character bigrams (add-one smoothed).
    static func train(_ request: TrainingRequest) throws -> JSONObject {
        let text = try String(contentsOfFile: request.corpus, encoding: .utf8)
        let symbols = Array(Set(text.map(String.init))).sorted()
        let ids = text.map { symbols.firstIndex(of: String($0))! }
        var counts = [[Double]](repeating: [Double](repeating: 1, count: symbols.count), count: symbols.count)
        for (a, b) in zip(ids, ids.dropFirst()) { counts[a][b] += 1 }
        try write(symbols: symbols, table: counts.map { row in row.map { $0 / row.reduce(0, +) } }, to: request.out)
        return JSONObject([("tokens", .int(ids.count))])
    }

    /// `lmzoo distill --student-arch charbigram`: the teacher's next-token distributions averaged per previous token.
    static func distill(_ request: DistillationRequest) throws -> JSONObject {
        let V = request.teacher.tokenizer.vocabularySize
        let symbols = (0..<V).map { request.teacher.tokenizer.token(for: $0) ?? "?" }
        var sums = [[Double]](repeating: [Double](repeating: 1e-6, count: V), count: V)
        for position in 0..<(request.ids.count - 1) {
            let logProbs = try request.teacher.nextTokenLogProbs(context: Array(request.ids[...position]))
            for (id, logProb) in logProbs.enumerated() { sums[request.ids[position]][id] += Double(exp(logProb)) }
        }
        try write(symbols: symbols, table: sums.map { row in row.map { $0 / row.reduce(0, +) } }, to: request.out)
        return JSONObject([("positions", .int(request.ids.count - 1))])
    }
}

struct BigramError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The model: a table of next-token log-probabilities computed from the weights once.
final class BigramModel: LanguageModel {
    struct Characters: Tokenizer {
        let symbols: [String]
        var vocabularySize: Int { symbols.count }
        func encode(_ text: String) throws -> [Int] {
            try text.map { character in
                guard let id = symbols.firstIndex(of: String(character)) else { throw BigramError("'\(character)' is not in the vocabulary") }
                return id
            }
        }
        func decode(_ ids: [Int]) -> String { ids.map { symbols[$0] }.joined() }
        func token(for id: Int) -> String? { symbols.indices.contains(id) ? symbols[id] : nil }
    }

    let architecture = BigramArchitecture.name
    let symbols: [String]
    let tokenizer: any Tokenizer
    let parameterCount: Int
    /// C
    let width: Int
    /// (V, V): row `prev`, log P(next | prev).
    let table: [[Float]]

    init(symbols: [String], embed: Tensor, head: Tensor, bias: Tensor) throws {
        let (V, C) = (embed.shape[0], embed.shape[1])
        guard symbols.count == V, head.shape == [C, V], bias.shape == [V] else { throw BigramError("inconsistent shapes") }
        let (e, h, b) = (embed.floats(), head.floats(), bias.floats())
        // (V, C) x (C, V) + (V) -> (V, V), then log-softmax per row.
        table = (0..<V).map { prev in
            let logits = (0..<V).map { next in b[next] + (0..<C).reduce(Float(0)) { $0 + e[prev * C + $1] * h[$1 * V + next] } }
            let top = logits.max()!, norm = top + log(logits.reduce(Float(0)) { $0 + exp($1 - top) })
            return logits.map { $0 - norm }
        }
        self.symbols = symbols
        tokenizer = Characters(symbols: symbols)
        parameterCount = V * C + C * V + V
        width = C
    }

    func nextTokenLogProbs(context: [Int]) throws -> [Float] {
        guard let last = context.last else { throw ModelError.emptyContext }
        return table[last]
    }
}
