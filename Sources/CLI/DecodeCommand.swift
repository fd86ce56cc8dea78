import ArgumentParser
import Foundation
import LMZoo

/// `lmzoo decode MODEL (--ids ... | --ids-file F)`: the most likely hidden-state path (HMM Viterbi).
struct DecodeCommand: ParsableCommand, OptionChecking {
    static let configuration = CommandConfiguration(commandName: "decode", abstract: "Most likely hidden-state path (HMM Viterbi).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Symbol ids: 1,2,3.") var ids: String?
    @Option(name: .customLong("ids-file"), help: "A file of symbol ids.") var idsFile: String?
    @Option(help: "Decode N times (for timing); results are from the last run.") var `repeat` = 1
    @OptionGroup var output: OutputOptions

    func checkOptions() throws {
        guard (ids == nil) != (idsFile == nil) else { throw ValidationError("give exactly one of --ids and --ids-file") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let (loaded, loadSeconds) = try modelOptions.load()
        guard let model = loaded as? any StateDecoding else {
            throw LocatedError(path: modelOptions.model, CapabilityError.missing(loaded.architecture, "decode hidden states"))
        }
        let sequence = try ids.map { try IDList.parse($0, source: "--ids") } ?? IDList.read(file: idsFile!)
        let start = Date()
        var (states, logProb) = (Array<Int>(), 0.0)
        for _ in 0..<`repeat` { (states, logProb) = try model.decodeStates(sequence) }
        let compute = Date().timeIntervalSince(start) / Double(`repeat`)
        if output.json {
            Console.printJSON(["states": .array(states.map { .int($0) }), "logprob": .double(logProb),
                               "timings": ["load_s": .double(loadSeconds), "compute_s": .double(compute)]])
        } else {
            print(states.map(String.init).joined(separator: " "))
            print("logprob \(logProb)")
        }
    }
}
