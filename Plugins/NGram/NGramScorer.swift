/// Back-off scoring exactly as KenLM's `lm/model.cc` (`GenericModel::FullScore`) computes it:
///
///     log10 p(w | h) = log10 p(longest n-gram "h_k w" in the model) + sum of the backoffs of the
///                      context n-grams h_j for j >= k (those present in the model),
///
/// found by hashing the n-gram from `w` leftwards and stopping at the first miss. The state after a
/// word is the longest matched n-gram (at most N-1 words) with its backoffs, so each word costs at
/// most N-1 hash probes.
struct NGramScorer {
    let order: Int
    let vocabularySize: Int
    private let unigramProbs: UnsafePointer<Float>
    private let unigramBackoffs: UnsafePointer<Float>?
    private let views: [ProbingTable.View]
    let beginID: UInt32
    let unknownID: UInt32
    let endID: UInt32

    /// A scorer over `tables` (which must outlive it).
    init(_ tables: NGramTables) {
        order = tables.order
        vocabularySize = tables.vocabulary.count
        unigramProbs = tables.probs[0].values.baseAddress!
        unigramBackoffs = tables.order > 1 ? tables.backoffs[0].values.baseAddress : nil
        views = tables.tables.map(\.view)
        beginID = UInt32(tables.vocabulary.beginID)
        unknownID = UInt32(tables.vocabulary.unknownID)
        endID = UInt32(tables.vocabulary.endID)
    }

    /// The context after some words: the last `length` words (most recent first) and the backoffs
    /// of the n-grams they end (`backoffs[j]` is that of the (j+1)-gram ending the context).
    struct State {
        var length = 0
        var words: [UInt32]
        var backoffs: [Float]
        /// Scratch space of ``NGramScorer/score(_:_:)``.
        var found: [Float]

        init(capacity: Int) {
            words = [UInt32](repeating: 0, count: max(capacity, 1))
            backoffs = [Float](repeating: 0, count: max(capacity, 1))
            found = [Float](repeating: 0, count: max(capacity, 1))
        }
    }

    /// The state at the start of a sentence (after `<s>`), as KenLM's `BeginSentenceState()`.
    func beginState() -> State {
        var state = State(capacity: order)
        if order > 1 {
            state.length = 1
            state.words[0] = beginID
            state.backoffs[0] = unigramBackoffs![Int(beginID)]
        }
        return state
    }

    /// log10 p(word | state); advances `state` past `word`. `word` must be a valid id.
    @inline(__always)
    func score(_ word: UInt32, _ state: inout State) -> Float {
        let keep = order - 1
        let length = state.length
        let (prob, newLength) = state.words.withUnsafeMutableBufferPointer { words in
            state.backoffs.withUnsafeMutableBufferPointer { backoffs in
                state.found.withUnsafeMutableBufferPointer { found in
                    views.withUnsafeBufferPointer { views in
                        var prob = unigramProbs[Int(word)]
                        // Backoffs of the n-grams ending in `word`, found on the way (N-1 kept).
                        if keep > 0 { found[0] = unigramBackoffs![Int(word)] }
                        var matched = 1
                        var key = NGramHash.start(word)
                        var j = 0
                        while j < length {
                            key = NGramHash.extend(key, with: words[j])
                            guard let entry = views[j].find(key == 0 ? 1 : key) else { break }
                            prob = entry.prob
                            matched = j + 2
                            if matched <= keep { found[matched - 1] = entry.backoff }
                            j += 1
                        }
                        // Back off through the context n-grams longer than the match.
                        var k = matched - 1
                        while k < length {
                            prob += backoffs[k]
                            k += 1
                        }
                        let newLength = min(matched, keep)
                        var i = newLength - 1
                        while i > 0 {
                            words[i] = words[i - 1]
                            i -= 1
                        }
                        if newLength > 0 { words[0] = word }
                        var b = 0
                        while b < newLength {
                            backoffs[b] = found[b]
                            b += 1
                        }
                        return (prob, newLength)
                    }
                }
            }
        }
        state.length = newLength
        return prob
    }

    /// log10 p(word | state) without advancing the state.
    @inline(__always)
    func probability(of word: UInt32, given state: State) -> Float {
        state.words.withUnsafeBufferPointer { words in
            var prob = unigramProbs[Int(word)]
            var matched = 1
            var key = NGramHash.start(word)
            var j = 0
            while j < state.length {
                key = NGramHash.extend(key, with: words[j])
                guard let entry = views[j].find(key == 0 ? 1 : key) else { break }
                prob = entry.prob
                matched = j + 2
                j += 1
            }
            var k = matched - 1
            while k < state.length {
                prob += state.backoffs[k]
                k += 1
            }
            return prob
        }
    }
}
