import ArgumentParser
import LMZoo

/// `lmzoo fill-mask MODEL --text "... [MASK] ..." [--top-k K]`: masked-LM candidates for every mask.
struct FillMaskCommand: ParsableCommand, OptionChecking {
    static let configuration = CommandConfiguration(commandName: "fill-mask", abstract: "Predict the tokens behind [MASK] tokens.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Text with one or more mask tokens ([MASK]).") var text: String
    @Option(name: .customLong("top-k"), help: "Candidates per mask.") var topK = 5
    @OptionGroup var output: OutputOptions

    func checkOptions() throws {
        guard topK > 0 else { throw ValidationError("--top-k must be positive") }
    }

    func run() throws {
        let (loaded, _) = try modelOptions.load()
        try modelOptions.requireLanguageModelHead(loaded, for: "fill masks")
        guard let model = loaded as? any MaskedLM else {
            throw LocatedError(path: modelOptions.model, CapabilityError.missing(loaded.architecture, "fill masks"))
        }
        let masks = try model.fillMask(text, topK: topK)
        if output.json {
            Console.printJSON(ResultJSON.fillMask(masks))
        } else {
            Console.printTable([["position", "id", "token", "logprob"]] + masks.flatMap { mask in
                mask.candidates.map { [String(mask.position), String($0.id), $0.token, String(format: "%.4f", $0.logProb)] }
            })
        }
    }
}
