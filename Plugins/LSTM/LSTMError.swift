import LMZooCore

/// Why an LSTM checkpoint cannot be loaded or run. Each case names the tensor or config key at fault.
public enum LSTMError: Error, Equatable, CustomStringConvertible {
    /// A tensor the model needs is absent (`expected` is its shape as `[4H, E]`-style text).
    case missingTensor(String, expected: String)
    /// A tensor has the wrong shape.
    case badShape(String, expected: [Int], actual: [Int])
    /// A tensor is not floating point.
    case badDType(String, DType)
    /// `config.json` disagrees with a tensor (`key` = value vs the tensor's shape).
    case inconsistentConfig(key: String, value: Int, tensor: String, shape: [Int])
    /// `config.json` is malformed (a key with a bad type or value).
    case badConfig(String)
    /// The checkpoint's structure is not an LSTM language model.
    case notAnLSTM(String)
    /// Keras options lmzoo does not run (an activation other than tanh, ...).
    case unsupported(String)
    /// The vocabulary file is unreadable or has the wrong size.
    case badVocabulary(String)
    /// Text with a symbol the vocabulary lacks (and no `<unk>`).
    case unknownSymbol(String)
    /// Text given to a model that has no vocabulary file.
    case noVocabulary

    public var description: String {
        switch self {
        case let .missingTensor(name, expected): "missing tensor \(name) (expected shape \(expected))"
        case let .badShape(name, expected, actual):
            "tensor \(name) has shape \(Shape.describe(actual)), expected \(Shape.describe(expected))"
        case let .badDType(name, dtype): "tensor \(name) has dtype \(dtype.rawValue), expected a floating-point type"
        case let .inconsistentConfig(key, value, tensor, shape):
            "config.json \(key) = \(value) disagrees with tensor \(tensor) of shape \(Shape.describe(shape))"
        case let .badConfig(what): "config.json: \(what)"
        case let .notAnLSTM(what): "not an LSTM language model: \(what)"
        case let .unsupported(what): "unsupported LSTM option: \(what)"
        case let .badVocabulary(what): "vocabulary: \(what)"
        case let .unknownSymbol(symbol): "symbol \(symbol.debugDescription) is not in the vocabulary (and there is no <unk>)"
        case .noVocabulary: "the model has no vocabulary file (vocab.json); pass ids instead of text"
        }
    }
}
