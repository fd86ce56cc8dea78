import ArgumentParser
import LMZoo

/// `lmzoo predict MODEL (--text T | --ids 1,2,3) [--top-k K]`: the next-token distribution.
struct PredictCommand: ParsableCommand, OptionChecking {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "Show the most likely next tokens after a context.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The context as text.") var text: String?
    @Option(help: "The context as token ids: 1,2,3.") var ids: String?
    @Option(name: .customLong("top-k"), help: "How many candidates.") var topK = 10
    @OptionGroup var output: OutputOptions

    func checkOptions() throws {
        guard (text == nil) != (ids == nil) else { throw ValidationError("give exactly one of --text and --ids") }
        guard topK > 0 else { throw ValidationError("--top-k must be positive") }
    }

    func run() throws {
        let (model, _) = try modelOptions.load()
        try modelOptions.requireLanguageModelHead(model, for: "predict")
        let context = try ids.map { try IDList.parse($0, source: "--ids") } ?? model.tokenizer.encode(text!)
        let next = try model.predict(context: context, topK: topK)
        if output.json {
            Console.printJSON(ResultJSON.predict(context: context, next: next))
        } else {
            Console.printTable([["id", "token", "logprob"]] + next.map { [String($0.id), $0.token, String(format: "%.4f", $0.logProb)] })
        }
    }
}
