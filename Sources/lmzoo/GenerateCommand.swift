import ArgumentParser
import Foundation
import LMZoo

/// `lmzoo generate MODEL --prompt P`: greedy or sampled continuation.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Continue a prompt.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The prompt text.") var prompt: String
    @Option(name: .customLong("max-tokens"), help: "New tokens at most.") var maxTokens = 32
    @Flag(help: "Always take the most likely token.") var greedy = false
    @Option(help: "Sampling temperature.") var temperature = 1.0
    @Option(name: .customLong("top-k"), help: "Sample among the K most likely tokens (0: all).") var topK = 0
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold.") var topP = 1.0
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must not be negative") }
        guard temperature >= 0, topK >= 0, topP > 0, topP <= 1 else { throw ValidationError("bad sampling parameters") }
    }

    func run() throws {
        let (loaded, loadSeconds) = try modelOptions.load()
        guard let model = loaded as? any Generating else {
            throw LocatedError(path: modelOptions.model, CapabilityError.missing(loaded.architecture, "generate"))
        }
        let promptIDs = try model.tokenizer.encode(prompt)
        let options = GenerationOptions(maxTokens: maxTokens, greedy: greedy, temperature: temperature, topK: topK, topP: topP, seed: seed)
        let start = Date()
        let ids = try model.generate(prompt: promptIDs, options: options)
        let seconds = Date().timeIntervalSince(start)
        let newTokens = max(ids.count - promptIDs.count, 1)
        let text = model.tokenizer.decode(ids)
        if output.json {
            Console.printJSON([
                "ids": .array(ids.map { .int($0) }), "text": .string(text),
                "timings": ["load_s": .double(loadSeconds), "prefill_tokens_per_s": .double(Double(promptIDs.count) / max(seconds, 1e-9)),
                            "decode_ms_per_token": .double(seconds * 1000 / Double(newTokens))],
            ])
        } else {
            print(text)
        }
    }
}

/// The model's architecture lacks a capability a command needs.
enum CapabilityError: Error, CustomStringConvertible {
    case missing(String, String)
    var description: String {
        switch self {
        case let .missing(arch, capability): "the \(arch) plugin cannot \(capability)"
        }
    }
}
