import ArgumentParser
import LMZoo

/// `lmzoo tokenize MODEL --text T`: the ids and tokens the model consumes.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "Tokenize a text with a model's tokenizer.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The text to tokenize.") var text: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let (model, _) = try modelOptions.load()
        let ids = try model.tokenizer.encode(text)
        let tokens = ids.map { model.tokenizer.token(for: $0) ?? "" }
        if output.json {
            Console.printJSON(["ids": .array(ids.map { .int($0) }), "tokens": .array(tokens.map { .string($0) })])
        } else {
            Console.printTable([["id", "token"]] + zip(ids, tokens).map { [String($0), $1] })
        }
    }
}
