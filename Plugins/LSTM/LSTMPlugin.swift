import LMZooCore

/// The `lstm` architecture plugin. Registered so that `lmzoo list` shows it; loading a model
/// says "not implemented yet" until the plugin's own issue lands.
public enum LSTMPlugin {
    /// The registry entry.
    public static let descriptor = ArchitectureDescriptor.notImplemented(
        name: "lstm", summary: "LSTM language model (PyTorch / Keras layouts)")
}
