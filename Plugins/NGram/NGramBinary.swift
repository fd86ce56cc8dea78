import LMZooCore

/// lmzoo's own binary form of an n-gram model: its tables as tensors (written as safetensors), so
/// that a model loads by mapping the file: the probing hash tables are stored ready to use and are
/// zero-copy views, nothing is parsed or hashed but the vocabulary.
///
/// | tensor | dtype | shape | content |
/// |---|---|---|---|
/// | `vocab.bytes` | U8 | [B] | the words' UTF-8 bytes, back to back |
/// | `vocab.offsets` | I64 | [V+1] | word i is `bytes[offsets[i]..<offsets[i+1]]` |
/// | `ngram.N.prob` | F32 | [count] | log10 probabilities of the N-grams (N = 1: by word id) |
/// | `ngram.N.backoff` | F32 | [count] | log10 backoffs (orders below the highest) |
/// | `ngram.N.words` | U32 | [count, N] | word ids (N >= 2) |
/// | `ngram.N.table` | U64 | [buckets, 2] | ``ProbingTable`` of order N >= 2: key, prob and backoff bits |
///
/// Metadata: `model_type` = `ngram`, `order`. (`config.json` `{"model_type":"ngram","order":N}`
/// beside a `model.safetensors` works too.)
enum NGramBinary {
    static let modelType = "ngram"

    /// The tensors and metadata of `tables`.
    static func store(_ tables: NGramTables) throws -> TensorStore {
        var store = TensorStore(metadata: ["model_type": modelType, "order": String(tables.order)])
        let vocabulary = tables.vocabulary
        try store.add("vocab.bytes", try tensor(vocabulary.bytes, dtype: .u8, shape: [vocabulary.bytes.count]))
        try store.add("vocab.offsets", try tensor(vocabulary.offsets.map { Int64($0) }, dtype: .i64, shape: [vocabulary.count + 1]))
        for n in 1...tables.order {
            let count = tables.count(order: n)
            try store.add("ngram.\(n).prob", try tensor(tables.probs[n - 1].values, dtype: .f32, shape: [count]))
            if n < tables.order {
                try store.add("ngram.\(n).backoff", try tensor(tables.backoffs[n - 1].values, dtype: .f32, shape: [count]))
            }
            if n >= 2 {
                try store.add("ngram.\(n).words", try tensor(tables.words[n - 1].values, dtype: .u32, shape: [count, n]))
                let table = tables.tables[n - 2]
                try store.add("ngram.\(n).table", try tensor(table.storage.values, dtype: .u64, shape: [table.bucketCount, 2]))
            }
        }
        return store
    }

    private static func tensor<T>(_ values: [T], dtype: DType, shape: [Int]) throws -> Tensor {
        try values.withUnsafeBytes { try Tensor(dtype: dtype, shape: shape, copying: $0) }
    }

    private static func tensor<T>(_ values: UnsafeBufferPointer<T>, dtype: DType, shape: [Int]) throws -> Tensor {
        try Tensor(dtype: dtype, shape: shape, copying: UnsafeRawBufferPointer(values))
    }

    /// True when `store` looks like an n-gram model's tables.
    static func recognizes(_ store: TensorStore) -> Bool {
        store["vocab.offsets"] != nil && store["ngram.1.prob"] != nil
    }

    /// The tables stored in `store`; `order` from `config.json` when given, else the metadata, else
    /// the highest `ngram.N.prob` present.
    static func tables(from store: TensorStore, config: JSONObject? = nil) throws -> NGramTables {
        var order = config?["order"]?.intValue ?? store.metadata["order"].flatMap { Int($0) }
        if order == nil {
            var n = 0
            while store["ngram.\(n + 1).prob"] != nil { n += 1 }
            order = n
        }
        guard let order, order >= 1, order <= ARPAReader.maxOrder else {
            throw ARPAError.badBinary("order \(order.map(String.init) ?? "?") is not between 1 and \(ARPAReader.maxOrder)")
        }
        let blob: Column<UInt8> = try column(store, "vocab.bytes", .u8, shape: nil)
        let offsets: Column<Int64> = try column(store, "vocab.offsets", .i64, shape: nil)
        guard let vocabulary = Vocabulary(blob: blob.values, offsets: offsets.values) else {
            throw ARPAError.badBinary("vocab.offsets do not describe distinct words inside vocab.bytes")
        }
        guard vocabulary.unknownID >= 0, vocabulary.beginID >= 0, vocabulary.endID >= 0 else {
            throw ARPAError.badBinary("the vocabulary lacks <unk>, <s> or </s>")
        }
        let size = vocabulary.count
        var probs: [Column<Float>] = [], backoffs: [Column<Float>] = [], words: [Column<UInt32>] = [Column([])]
        var tables: [ProbingTable] = []
        var count = size
        for n in 1...order {
            let prob: Column<Float> = try column(store, "ngram.\(n).prob", .f32, shape: n == 1 ? [size] : nil)
            count = prob.count
            probs.append(prob)
            if n < order { backoffs.append(try column(store, "ngram.\(n).backoff", .f32, shape: [count])) }
            if n >= 2 {
                let nWords: Column<UInt32> = try column(store, "ngram.\(n).words", .u32, shape: [count, n])
                words.append(nWords)
                if store["ngram.\(n).table"] != nil {
                    let storage: Column<UInt64> = try column(store, "ngram.\(n).table", .u64, shape: nil)
                    guard let table = ProbingTable(storage: storage), table.bucketCount > count else {
                        throw ARPAError.badBinary("ngram.\(n).table is not a power-of-two table larger than \(count) entries")
                    }
                    tables.append(table)
                } else {
                    // No stored table: hash the n-grams now.
                    let builder = ProbingTable.Builder(capacity: count)
                    for i in 0..<count {
                        let gram = UnsafeBufferPointer(rebasing: nWords.values[(i * n)..<((i + 1) * n)])
                        guard gram.allSatisfy({ Int($0) < size }) else { throw ARPAError.badBinary("ngram.\(n).words has an id outside the vocabulary") }
                        guard builder.insert(key: NGramHash.key(gram), prob: prob[i], backoff: n < order ? backoffs[n - 1][i] : 0) else {
                            throw ARPAError.badBinary("ngram.\(n).words lists an n-gram twice")
                        }
                    }
                    tables.append(builder.finish())
                }
            }
        }
        return NGramTables(order: order, vocabulary: vocabulary, probs: probs, backoffs: backoffs, words: words, tables: tables)
    }

    private static func column<T>(_ store: TensorStore, _ name: String, _ dtype: DType, shape: [Int]?) throws -> Column<T> {
        guard let tensor = store[name] else { throw ARPAError.badBinary("tensor \(name) is missing") }
        guard tensor.dtype == dtype else { throw ARPAError.badBinary("\(name) is \(tensor.dtype.rawValue), expected \(dtype.rawValue)") }
        if let shape, tensor.shape != shape { throw ARPAError.badBinary("\(name) has shape \(tensor.shape), expected \(shape)") }
        if shape == nil, name.hasSuffix(".table") {
            guard tensor.shape.count == 2, tensor.shape[1] == 2 else { throw ARPAError.badBinary("\(name) has shape \(tensor.shape), expected [buckets, 2]") }
        } else if shape == nil, tensor.shape.count != 1 {
            throw ARPAError.badBinary("\(name) has shape \(tensor.shape), expected one dimension")
        }
        return Column(tensor: tensor)
    }
}
