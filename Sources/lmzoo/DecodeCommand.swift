import ArgumentParser
import LMZoo

/// `lmzoo decode MODEL (--ids ... | --ids-file F)`: the most likely hidden-state path (HMM Viterbi).
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decode", abstract: "Most likely hidden-state path (HMM Viterbi).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Symbol ids: 1,2,3.") var ids: String?
    @Option(name: .customLong("ids-file"), help: "A file of symbol ids.") var idsFile: String?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (ids == nil) != (idsFile == nil) else { throw ValidationError("give exactly one of --ids and --ids-file") }
    }

    func run() throws {
        let (loaded, _) = try modelOptions.load()
        guard let model = loaded as? any StateDecoding else {
            throw LocatedError(path: modelOptions.model, CapabilityError.missing(loaded.architecture, "decode hidden states"))
        }
        let sequence = try ids.map { try IDList.parse($0, source: "--ids") } ?? IDList.read(file: idsFile!)
        let (states, logProb) = try model.decodeStates(sequence)
        if output.json {
            Console.printJSON(["states": .array(states.map { .int($0) }), "logprob": .double(logProb)])
        } else {
            print(states.map(String.init).joined(separator: " "))
            print("logprob \(logProb)")
        }
    }
}
