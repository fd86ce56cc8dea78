import LMZooCore
import LMZooFormats
import LMZooTraining
import LMZooTransformer

/// The `bert` architecture plugin: BERT-family encoders (BERT, MiniLM, sentence-transformers models)
/// from Hugging Face directories (safetensors or `.bin`, `bert.` prefix or none, old `gamma`/`beta`
/// names) and GGUF files with llama.cpp's names; see ``BERTModel``.
public enum BERTPlugin {
    /// The registry entry.
    public static let descriptor = ArchitectureDescriptor(
        name: "bert", summary: "BERT-style encoder (embeddings, fill-mask, pseudo-log-likelihood)",
        capabilities: [.tokenize, .predict, .score, .embed, .fillMask],
        train: { try BERTRecipe.train($0, progress: $0.showProgress) },
        trainOptions: ["vocab-size", "hidden-size", "layers", "heads"] + TrainerOptions.requestOptions,
        layouts: BERTLayout.layouts, gguf: BERTGGUF.architecture
    ) { source in try load(source) }

    /// Builds a model: sizes from `config.json` (or GGUF metadata), weights by canonical names, the
    /// tokenizer and the sentence-transformers pooling from the model directory.
    public static func load(_ source: ModelSource) throws -> BERTModel {
        let tensors = try BERTWeights.canonicalize(source.tensors)
        let config: BERTConfig
        if let object = source.config {
            config = try BERTConfig.decode(object)
        } else {
            guard let word = tensors["embeddings.word_embeddings.weight"], word.shape.count == 2 else {
                throw BERTError.missingTensor("embeddings.word_embeddings.weight", expected: "[V, C]")
            }
            config = try BERTConfig.fromGGUF(GGUFReader.keyValues(of: source.tensors) ?? [], vocabSize: word.shape[0])
        }
        try config.validate()
        let weights = try BERTWeights(tensors, config: config)
        let tokenizer: WordPieceTokenizer
        if let directory = source.directory {
            tokenizer = try BERTTokenizerFiles.read(directory: directory, maxPositions: config.maxPositionEmbeddings)
        } else if let keyValues = GGUFReader.keyValues(of: source.tensors) {
            tokenizer = try BERTTokenizerFiles.fromGGUF(keyValues, maxLength: config.maxPositionEmbeddings)
        } else {
            throw BERTError.badTokenizer("\(source.path) has no tokenizer (tokenizer.json or vocab.txt beside it); load the model directory")
        }
        guard tokenizer.vocabularySize <= config.vocabSize else {
            throw BERTError.badTokenizer("\(tokenizer.vocabularySize) tokens for a model of vocab_size \(config.vocabSize)")
        }
        let network = try TransformerNetwork(description: try config.transformerDescription, weights: weights.engine)
        return BERTModel(network: network, weights: weights, tokenizer: tokenizer,
                         pooling: try SentencePooling.read(directory: source.directory))
    }

    /// The WordPiece tokenizer of a Hugging Face directory (`tokenizer.json`, or `vocab.txt` +
    /// `tokenizer_config.json`), for a model of `maxPositions` positions.
    public static func tokenizer(directory: String, maxPositions: Int = 512) throws -> WordPieceTokenizer {
        try BERTTokenizerFiles.read(directory: directory, maxPositions: maxPositions)
    }
}
