extension Generating {
    /// Generates, calling `onToken` with each new id: as it is chosen where the model streams
    /// (``StreamingGenerating``), else each in turn once generation ended. Returns the ids (prompt + new)
    /// and whether they came as they were chosen. Shared by `lmzoo generate` and `lmzoo serve`.
    public func generateReporting(prompt: [Int], options: GenerationOptions,
                                  onToken: (Int) -> Void) throws -> (ids: [Int], streamed: Bool) {
        if let streaming = self as? any StreamingGenerating {
            return (try streaming.generate(prompt: prompt, options: options, onToken: onToken), true)
        }
        let ids = try generate(prompt: prompt, options: options)
        for id in ids.dropFirst(prompt.count) { onToken(id) }
        return (ids, false)
    }
}
