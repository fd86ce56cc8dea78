import LMZooCore

/// The `gpt2` architecture plugin. Registered so that `lmzoo list` shows it; loading a model
/// says "not implemented yet" until the plugin's own issue lands.
public enum GPTPlugin {
    /// The registry entry.
    public static let descriptor = ArchitectureDescriptor.notImplemented(
        name: "gpt2", summary: "GPT-2-style decoder (Hugging Face, PyTorch, GGUF)")
}
