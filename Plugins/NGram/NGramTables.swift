import LMZooCore

/// The parameters of a backoff n-gram model, as an ARPA file lists them, plus the query structure.
///
/// Per order n (1-based): `probs[n-1][i]` and `backoffs[n-1][i]` (log10; no backoffs for the highest
/// order) of entry i, whose words are `words[n-1][i*n..<(i+1)*n]` (for n = 1 entry i is word id i).
/// For orders >= 2 a ``ProbingTable`` maps the hash of the word ids to (prob, backoff), which is all
/// that scoring reads; the word columns are kept for writing ARPA and the binary form (they are
/// zero-copy views when loaded from lmzoo's safetensors form).
final class NGramTables: @unchecked Sendable {
    /// Highest order N.
    let order: Int
    let vocabulary: Vocabulary
    /// log10 probabilities, per order.
    let probs: [Column<Float>]
    /// log10 backoff weights, per order below N.
    let backoffs: [Column<Float>]
    /// Word ids of each entry, per order (index 0, the 1-grams, is empty: entry i is word i).
    let words: [Column<UInt32>]
    /// Query tables for orders 2...N (index n-2).
    let tables: [ProbingTable]

    init(order: Int, vocabulary: Vocabulary, probs: [Column<Float>], backoffs: [Column<Float>],
         words: [Column<UInt32>], tables: [ProbingTable]) {
        self.order = order
        self.vocabulary = vocabulary
        self.probs = probs
        self.backoffs = backoffs
        self.words = words
        self.tables = tables
    }

    /// Number of entries of order `n`.
    func count(order n: Int) -> Int { probs[n - 1].count }

    /// Entries of every order.
    var counts: [Int] { (1...order).map { count(order: $0) } }

    /// The parameters of a model with `counts` entries per order: a probability per entry and a
    /// back-off per entry below the highest order (word ids and query tables are structure).
    static func parameterCount(counts: [Int]) -> Int { counts.reduce(0, +) + counts.dropLast().reduce(0, +) }

    /// Builds the query tables for entries given as arrays. Throws ``ARPAError/duplicateNGram(line:ngram:)``
    /// (line 0) on a repeated n-gram.
    static func build(order: Int, vocabulary: Vocabulary, probs: [[Float]], backoffs: [[Float]], words: [[UInt32]]) throws -> NGramTables {
        var tables: [ProbingTable] = []
        for n in stride(from: 2, through: order, by: 1) {
            let count = probs[n - 1].count
            let builder = ProbingTable.Builder(capacity: count)
            let nWords = words[n - 1], nProbs = probs[n - 1], nBackoffs = n < order ? backoffs[n - 1] : []
            try nWords.withUnsafeBufferPointer { flat in
                for i in 0..<count {
                    let gram = UnsafeBufferPointer(rebasing: flat[(i * n)..<((i + 1) * n)])
                    guard builder.insert(key: NGramHash.key(gram), prob: nProbs[i], backoff: n < order ? nBackoffs[i] : 0) else {
                        throw ARPAError.duplicateNGram(line: 0, ngram: gram.map { vocabulary.word(Int($0)) }.joined(separator: " "))
                    }
                }
            }
            tables.append(builder.finish())
        }
        return NGramTables(order: order, vocabulary: vocabulary, probs: probs.map(Column.init),
                           backoffs: backoffs.prefix(order - 1).map(Column.init), words: words.map(Column.init), tables: tables)
    }
}
