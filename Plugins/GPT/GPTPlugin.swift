import LMZooCore
import LMZooFormats
import LMZooTraining
import LMZooTransformer

/// The `gpt2` architecture plugin: GPT-2 from Hugging Face directories (safetensors, sharded,
/// `pytorch_model.bin`; keys with or without `transformer.`), PyTorch state dicts and GGUF files
/// (llama.cpp names, F32/F16/BF16/Q8_0, tokenizer from `tokenizer.ggml.*`).
public enum GPTPlugin {
    /// The registry entry.
    public static let descriptor = ArchitectureDescriptor(
        name: "gpt2", aliases: ["gpt"], summary: "GPT-2-style decoder (Hugging Face, PyTorch, GGUF)",
        capabilities: [.tokenize, .predict, .score, .generate],
        train: { try GPTRecipe.train($0, progress: $0.showProgress) },
        trainOptions: ["vocab-size", "embedding-size", "layers", "heads"] + TrainerOptions.requestOptions,
        layouts: GPT2Layout.layouts, gguf: GPTGGUF.architecture,
        distill: { try GradientDistillation.run($0, student: GPTStudent.factory) }
    ) { source in try load(source) }

    /// Builds a model from `source`. `precision` converts every weight matrix (nil keeps the stored
    /// f32/f16/bf16/Q8_0 bytes as they are, compressed ones decoded on the fly).
    public static func load(_ source: ModelSource, precision: DType? = nil) throws -> GPTModel {
        let tokenizer = try GPTTokenizerFiles.tokenizer(for: source)
        var config: GPTConfig
        if let object = source.config {
            config = try GPTConfig.decode(object)
        } else if let keyValues = GGUFReader.keyValues(of: source.tensors), keyValues[key: "general.architecture"] != nil {
            config = try GPTConfig.decode(gguf: keyValues, vocabSize: tokenizer.vocabularySize)
        } else {
            throw GPTError.badConfig("no config.json beside the weights and no GGUF gpt2.* metadata")
        }
        try config.validate()
        guard tokenizer.vocabularySize <= config.vocabSize else {
            throw GPTError.noTokenizer("\(tokenizer.vocabularySize) tokens but the model has \(config.vocabSize) rows")
        }
        let (weights, parameterCount) = try GPTWeights.bind(source.tensors, config: config, precision: precision)
        let network = try TransformerNetwork(description: config.transformerDescription, weights: weights)
        return GPTModel(config: config, network: network, parameterCount: parameterCount, tokenizer: tokenizer)
    }
}
