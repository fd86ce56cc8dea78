/// A next-token model the ``Trainer`` can fit: a forward pass from input windows to logits, and a
/// backward pass from the logits' gradient into ``parameters``' gradients.
public protocol TrainableLanguageModel: AnyObject {
    /// The weights and their gradients.
    var parameters: ParameterSet { get }
    /// V: width of a logits row.
    var vocabularySize: Int { get }
    /// inputs (B, T) batch-major -> logits (B*T, V), row `b*T + t` predicting the token after
    /// `inputs[b*T + t]`. Keeps what ``backward(dlogits:)`` needs.
    func forward(inputs: [Int], batch B: Int, steps T: Int) -> [Float]
    /// Accumulates the parameters' gradients from dlogits (B*T, V) of the last ``forward``.
    func backward(dlogits: [Float])
}
