import ArgumentParser
import LMZoo

/// `lmzoo`: the root command.
struct LMZooCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lmzoo",
        abstract: "A model zoo and checkpoint converter for language models.",
        discussion: "Every command accepts --json and then prints one JSON document on stdout.",
        version: "lmzoo \(LMZoo.version)",
        subcommands: [ListCommand.self, InspectCommand.self, ConvertCommand.self, TokenizeCommand.self, PredictCommand.self,
                      ScoreCommand.self, GenerateCommand.self, EmbedCommand.self, FillMaskCommand.self, DecodeCommand.self, TrainCommand.self, DistillCommand.self,
                      ModelsCommand.self, VerifyCommand.self, BenchCommand.self, BenchModelCommand.self, ServeCommand.self])
}

/// The `--json` flag every command takes.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON document on stdout instead of tables.")
    var json = false
}
