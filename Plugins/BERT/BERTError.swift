import LMZooCore

/// Why a BERT checkpoint cannot be loaded or run. Each case names the tensor, key or file at fault.
public enum BERTError: Error, Equatable, CustomStringConvertible {
    /// A tensor the model needs is absent.
    case missingTensor(String, expected: String)
    /// A tensor has the wrong shape.
    case badShape(String, expected: [Int], actual: [Int])
    /// `config.json` (or GGUF metadata) is malformed.
    case badConfig(String)
    /// Options lmzoo does not run.
    case unsupported(String)
    /// The tokenizer files are unusable.
    case badTokenizer(String)
    /// The sentence-transformers pooling configuration is unusable.
    case badPooling(String)
    /// The checkpoint has no masked-LM head (`cls.predictions.*`): fill-mask and scoring need one.
    case noMaskedLMHead
    /// A text given to fill-mask has no mask token.
    case noMask(String)
    /// A text given to fill-mask has more tokens (`[CLS]`/`[SEP]` included) than the model's context.
    case textTooLong(tokens: Int, context: Int)

    public var description: String {
        switch self {
        case let .missingTensor(name, expected): "missing tensor \(name) (expected shape \(expected))"
        case let .badShape(name, expected, actual):
            "tensor \(name) has shape \(Shape.describe(actual)), expected \(Shape.describe(expected))"
        case let .badConfig(what): "config.json: \(what)"
        case let .unsupported(what): "unsupported BERT option: \(what)"
        case let .badTokenizer(what): "tokenizer: \(what)"
        case let .badPooling(what): "pooling: \(what)"
        case .noMaskedLMHead: "the checkpoint has no masked-LM head (cls.predictions.*): fill-mask, predict and score need one"
        case let .noMask(token): "the text has no \(token) token"
        case let .textTooLong(tokens, context): "the text is too long (\(tokens) tokens, context \(context))"
        }
    }
}
