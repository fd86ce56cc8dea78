import Foundation
import LMZooCore
import LMZooTransformer

/// A BERT-family encoder (BERT, MiniLM, ...) with transformers' `modeling_bert.py` semantics: sentence
/// embeddings with the checkpoint's sentence-transformers pooling, masked-LM predictions (`fill-mask`,
/// `predict` = the distribution of a `[MASK]` appended to the context), and pseudo-log-likelihood scoring
/// (each token masked in turn; Salazar et al. 2020), which is not a true log-likelihood: ``scoreKind`` says so.
public final class BERTModel: LanguageModel, Embedding, MaskedLM, @unchecked Sendable {
    public let architecture = "bert"
    public var tokenizer: any Tokenizer { wordPiece }
    /// The model's own tokenizer type (pairs, truncation, special ids).
    public let wordPiece: WordPieceTokenizer
    /// How ``embed(_:)`` pools and normalises.
    public let pooling: SentencePooling
    public let config: BERTConfig
    public let parameterCount: Int
    public var scoresFirstToken: Bool { true }
    public var scoreKind: ScoreKind { network.weights.head == nil ? .unavailable : .pseudoLogLikelihood }
    /// Rows (tokens) per packed forward pass: bounds the activation buffers.
    public var tokensPerBatch = 4096
    /// Word pieces per pseudo-log-likelihood window (each scored as `[CLS] window [SEP]`): PLL costs
    /// O(window) per token, so long texts are scored in windows of at most this many pieces.
    public var scoreWindow = 126
    /// The encoder and masked-LM head (``BERTConfig/transformerDescription`` run by the transformer engine).
    let network: TransformerNetwork
    /// `BertPooler`'s dense layer, when the checkpoint has one.
    let pooler: Linear?

    init(network: TransformerNetwork, weights: BERTWeights, tokenizer: WordPieceTokenizer, pooling: SentencePooling) {
        self.network = network
        config = weights.config
        parameterCount = weights.parameterCount
        pooler = weights.pooler
        self.wordPiece = tokenizer
        self.pooling = pooling
    }

    /// The longest sequence the model takes (positions, and the tokenizer's `model_max_length`).
    public var maxLength: Int { min(config.maxPositionEmbeddings, wordPiece.maxLength ?? .max) }

    // MARK: Encoder outputs

    /// The last hidden state of each encoding, `(T, C)` row-major per sequence; batched by length
    /// (sequences sorted by length are packed into forward passes of up to ``tokensPerBatch`` rows).
    public func hiddenStates(_ encodings: [WordPieceEncoding]) throws -> [[Float]] {
        for encoding in encodings { try check(encoding) }
        let C = config.hiddenSize
        var results = [[Float]](repeating: [], count: encodings.count)
        for group in batches(encodings.map(\.ids.count)) {
            var batch = PackedSequences()
            for i in group { batch.append(ids: encodings[i].ids, typeIDs: encodings[i].typeIDs) }
            let hidden = hiddenStates(batch)
            for (i, offset) in zip(group, batch.offsets) {
                results[i] = Array(hidden[(offset * C)..<((offset + encodings[i].ids.count) * C)])
            }
        }
        return results
    }

    /// `BertPooler` outputs (tanh of the `[CLS]` state's dense projection), nil without pooler weights.
    public func pooledOutputs(_ encodings: [WordPieceEncoding]) throws -> [[Float]]? {
        guard pooler != nil else { return nil }
        return try hiddenStates(encodings).map { pooled(hidden: $0, offsets: [0])![0] }
    }

    /// Index groups of at most ``tokensPerBatch`` rows, shortest sequences first.
    private func batches(_ lengths: [Int]) -> [[Int]] {
        var groups: [[Int]] = [], current: [Int] = [], rows = 0
        for i in lengths.indices.sorted(by: { lengths[$0] < lengths[$1] }) {
            if !current.isEmpty, rows + lengths[i] > tokensPerBatch { groups.append(current); current = []; rows = 0 }
            current.append(i)
            rows += lengths[i]
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    private func check(_ encoding: WordPieceEncoding) throws {
        try checkIDs(encoding.ids)
        guard encoding.ids.count <= config.maxPositionEmbeddings else {
            throw BERTError.unsupported("a sequence of \(encoding.ids.count) tokens; the model has \(config.maxPositionEmbeddings) positions")
        }
        if let bad = encoding.typeIDs.first(where: { $0 < 0 || $0 >= config.typeVocabSize }) {
            throw BERTError.unsupported("token type id \(bad) (the model has \(config.typeVocabSize))")
        }
    }

    // MARK: Embedding

    /// One vector per text: truncated to the pipeline's `max_seq_length` (else the model's limit),
    /// pooled and normalised as ``pooling`` says.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        let limit = min(pooling.maxSequenceLength ?? maxLength, maxLength)
        let encodings = texts.map { wordPiece.encode($0, pair: nil, maxLength: limit) }
        let C = config.hiddenSize
        return try zip(hiddenStates(encodings), encodings).map { states, encoding in
            states.withUnsafeBufferPointer { pooling.pool($0.baseAddress!, length: encoding.ids.count, width: C) }
        }
    }

    // MARK: Masked LM

    public func fillMask(_ text: String, topK: Int) throws -> [MaskPrediction] {
        guard let maskID = wordPiece.maskID else { throw BERTError.badTokenizer("the vocabulary has no [MASK] token") }
        let encoding = wordPiece.encode(text, pair: nil, maxLength: nil)
        // Truncating would drop the masks past the context (and then say there are none).
        guard encoding.ids.count <= maxLength else { throw BERTError.textTooLong(tokens: encoding.ids.count, context: maxLength) }
        let positions = encoding.ids.indices.filter { encoding.ids[$0] == maskID }
        guard !positions.isEmpty else { throw BERTError.noMask("[MASK]") }
        let logProbs = try maskedLMLogProbs(hidden: try hiddenStates([encoding])[0], rows: positions)
        let V = config.vocabSize
        return positions.enumerated().map { i, position in
            let row = Array(logProbs[(i * V)..<((i + 1) * V)])
            return MaskPrediction(position: position, candidates: TopK.indices(of: row, k: topK).map {
                TokenPrediction(id: $0, token: wordPiece.token(for: $0) ?? "", logProb: Double(row[$0]))
            })
        }
    }

    /// The distribution of a `[MASK]` placed after `context` (`[CLS]` added when missing, a final `[SEP]`
    /// moved after the mask); the context is cut from the left to fit the model.
    public func nextTokenLogProbs(context: [Int]) throws -> [Float] {
        try checkIDs(context)
        guard let maskID = wordPiece.maskID else { throw BERTError.badTokenizer("the vocabulary has no [MASK] token") }
        var body = context
        if let cls = wordPiece.clsID, body.first == cls { body.removeFirst() }
        if let sep = wordPiece.sepID, body.last == sep { body.removeLast() }
        let room = maxLength - 3
        if body.count > room { body.removeFirst(body.count - room) }
        var ids = (wordPiece.clsID.map { [$0] } ?? []) + body + [maskID]
        if let sep = wordPiece.sepID { ids.append(sep) }
        let position = ids.count - (wordPiece.sepID == nil ? 1 : 2)
        let hidden = try hiddenStates([WordPieceEncoding(ids: ids, typeIDs: [Int](repeating: 0, count: ids.count))])[0]
        return try maskedLMLogProbs(hidden: hidden, rows: [position])
    }

    // MARK: Pseudo-log-likelihood

    /// `log P(ids[i] | ids with position i masked)` for every position except `[CLS]`, `[SEP]` and `[PAD]`.
    /// Sequences longer than the model are scored in windows (see ``pseudoLogLikelihoods(pieces:)``).
    public func tokenLogProbs(_ ids: [Int]) throws -> [Double] {
        try checkIDs(ids)
        let specials = Set([wordPiece.clsID, wordPiece.sepID, wordPiece.padID].compactMap { $0 })
        if ids.count > maxLength || ids.first != wordPiece.clsID {
            return try pseudoLogLikelihoods(pieces: ids.filter { !specials.contains($0) })
        }
        return try maskedLogProbs(ids, positions: ids.indices.filter { !specials.contains(ids[$0]) })
    }

    /// Scores the word pieces of `text` (no `[CLS]`/`[SEP]` counted) in windows of ``scoreWindow``.
    /// `[UNK]` pieces are counted as OOV; their spellings are not charged (the tokenizer keeps only the
    /// normalized word, and a pseudo-log-likelihood is not comparable with a log-likelihood anyway).
    public func score(text: String, bos: Bool) throws -> ScoreResult {
        let pieces = wordPiece.pieces(text)
        return ScoreResult(perToken: try pseudoLogLikelihoods(pieces: pieces), utf8Bytes: text.utf8.count,
                           oovCount: pieces.filter { $0 == wordPiece.model.unknownID }.count)
    }

    /// PLL of word pieces: consecutive windows of at most ``scoreWindow`` pieces (and what the model fits),
    /// each as `[CLS] window [SEP]`, every piece masked in turn.
    public func pseudoLogLikelihoods(pieces: [Int]) throws -> [Double] {
        try checkIDs(pieces)
        let specials = (wordPiece.clsID == nil ? 0 : 1) + (wordPiece.sepID == nil ? 0 : 1)
        let window = max(1, min(scoreWindow, maxLength - specials))
        var out: [Double] = []
        var start = 0
        while start < pieces.count {
            let end = min(start + window, pieces.count)
            let ids = (wordPiece.clsID.map { [$0] } ?? []) + pieces[start..<end] + (wordPiece.sepID.map { [$0] } ?? [])
            let first = wordPiece.clsID == nil ? 0 : 1
            out += try maskedLogProbs(ids, positions: Array(first..<(first + end - start)))
            start = end
        }
        return out
    }

    /// For each position p of `positions`: `log P(ids[p])` at p with p replaced by `[MASK]`, all copies batched.
    private func maskedLogProbs(_ ids: [Int], positions: [Int]) throws -> [Double] {
        guard let maskID = wordPiece.maskID else { throw BERTError.badTokenizer("the vocabulary has no [MASK] token") }
        guard network.weights.head != nil else { throw BERTError.noMaskedLMHead }
        try check(WordPieceEncoding(ids: ids, typeIDs: []))
        let V = config.vocabSize
        let perBatch = max(1, tokensPerBatch / max(ids.count, 1))
        let types = [Int](repeating: 0, count: ids.count)
        var out: [Double] = []
        var first = 0
        while first < positions.count {
            let chunk = positions[first..<min(first + perBatch, positions.count)]
            var batch = PackedSequences()
            for p in chunk {
                var masked = ids
                masked[p] = maskID
                batch.append(ids: masked, typeIDs: types)
            }
            let hidden = hiddenStates(batch)
            let rows = zip(chunk, batch.offsets).map { $0 + $1 }
            let logProbs = try maskedLMLogProbs(hidden: hidden, rows: rows)
            for (i, p) in chunk.enumerated() { out.append(Double(logProbs[i * V + ids[p]])) }
            first += chunk.count
        }
        return out
    }
}
