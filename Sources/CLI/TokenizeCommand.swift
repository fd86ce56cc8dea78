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
        if output.json {
            Console.printJSON(try ResultJSON.tokenize(text, with: model.tokenizer))
        } else {
            let ids = try model.tokenizer.encode(text)
            let tokens = ids.map { model.tokenizer.token(for: $0) ?? "" }
            Console.printTable([["id", "token"]] + zip(ids, tokens).map { [String($0), $1] })
        }
    }
}
