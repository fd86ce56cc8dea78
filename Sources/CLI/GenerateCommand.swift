import ArgumentParser
import Foundation
import LMZoo

/// `lmzoo generate MODEL --prompt P`: greedy or sampled continuation.
struct GenerateCommand: ParsableCommand, OptionChecking {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Continue a prompt.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The prompt text.") var prompt: String
    @Option(name: .customLong("max-tokens"), help: "New tokens at most.") var maxTokens = 32
    @Option(name: .customLong("min-tokens"), help: "New tokens at least: the end token is not chosen before them.") var minTokens = 0
    @Flag(help: "Always take the most likely token (not with --temperature, --top-k, --top-p).") var greedy = false
    @Option(help: "Sampling temperature (default 1).") var temperature: Double?
    @Option(name: .customLong("top-k"), help: "Sample among the K most likely tokens (default 0: all).") var topK: Int?
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold (default 1).") var topP: Double?
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @OptionGroup var output: OutputOptions

    func checkOptions() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must not be negative") }
        guard minTokens >= 0, minTokens <= maxTokens else { throw ValidationError("--min-tokens must be 0 to --max-tokens (\(maxTokens))") }
        let sampling = [("--temperature", temperature != nil), ("--top-k", topK != nil), ("--top-p", topP != nil)]
        if greedy, let given = sampling.first(where: \.1) {
            throw ValidationError("--greedy takes the most likely token; \(given.0) would be ignored (drop one of them)")
        }
        guard (temperature ?? 1) >= 0, (topK ?? 0) >= 0, (topP ?? 1) > 0, (topP ?? 1) <= 1 else { throw ValidationError("bad sampling parameters") }
    }

    func run() throws {
        let (loaded, loadSeconds) = try modelOptions.load()
        guard let model = loaded as? any Generating else {
            throw LocatedError(path: modelOptions.model, CapabilityError.missing(loaded.architecture, "generate"))
        }
        let promptIDs = try model.tokenizer.encode(prompt)
        let options = GenerationOptions(maxTokens: maxTokens, minTokens: minTokens, greedy: greedy, temperature: temperature ?? 1,
                                        topK: topK ?? 0, topP: topP ?? 1, seed: seed)
        let start = Date()
        var firstTokenAt: Date?
        // Text streams to stdout as tokens come (not with --json).
        var detokenizer = IncrementalDetokenizer(tokenizer: model.tokenizer, prompt: promptIDs)
        if !output.json { writeOut(detokenizer.printed) }
        let (ids, streamed) = try model.generateReporting(prompt: promptIDs, options: options) { id in
            if firstTokenAt == nil { firstTokenAt = Date() }
            if !output.json { writeOut(detokenizer.append(id)) }
        }
        if !streamed { firstTokenAt = nil }
        if !output.json { writeOut(detokenizer.finish(ids: ids) + "\n") }
        let end = Date()
        let newTokens = ids.count - promptIDs.count
        if newTokens < maxTokens, let end = model.tokenizer.eosID, ids.last == end {
            Console.note("the model ended the text (\(model.tokenizer.token(for: end) ?? "end token")) after \(newTokens) new tokens; --min-tokens N holds the end back")
        }
        // Prefill = until the first new token; decode = the rest, per token after the first.
        let prefillSeconds = firstTokenAt.map { $0.timeIntervalSince(start) } ?? end.timeIntervalSince(start)
        let decodeSeconds = firstTokenAt.map { end.timeIntervalSince($0) } ?? end.timeIntervalSince(start)
        let decodeTokens = firstTokenAt == nil ? max(newTokens, 1) : max(newTokens - 1, 1)
        if output.json {
            Console.printJSON([
                "ids": .array(ids.map { .int($0) }), "text": .string(model.tokenizer.decode(ids)),
                "timings": ["load_s": .double(loadSeconds),
                            "prefill_tokens_per_s": .double(Double(promptIDs.count) / max(prefillSeconds, 1e-9)),
                            "decode_ms_per_token": .double(decodeSeconds * 1000 / Double(decodeTokens))],
            ])
        }
    }
}

/// Writes `text` to stdout unbuffered (streamed generation).
private func writeOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// The model's architecture lacks a capability a command needs.
enum CapabilityError: Error, CustomStringConvertible {
    case missing(String, String)
    /// An encoder checkpoint without a language-model head cannot `command` (`embeds`: it can embed).
    case noLanguageModelHead(command: String, embeds: Bool)
    var description: String {
        switch self {
        case let .missing(arch, capability): "the \(arch) plugin cannot \(capability)"
        case let .noLanguageModelHead(command, embeds):
            embeds ? "no language-model head (sentence encoder): cannot \(command); use embed" : "no language-model head: cannot \(command)"
        }
    }
}
