import ArgumentParser
import Foundation
import LMZoo

/// `lmzoo train ARCH --corpus F --out PATH [options]`: estimate or train a model. The options are
/// passed to the plugin by name; each plugin documents the ones it reads.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Estimate or train a model of an architecture on a corpus.",
        discussion: "ngram: --order, --discount-fallback, --prune. hmm: --states, --iterations, --tolerance, --seed.")

    @Argument(help: "The architecture (ngram, hmm, ...).") var architecture: String
    @Option(help: "Training text (UTF-8).") var corpus: String
    @Option(help: "Where to write the model.") var out: String
    @Option(help: "n-gram order.") var order: Int?
    @Flag(name: .customLong("discount-fallback"), help: "n-gram: fall back to fixed discounts when count-of-counts leave them undefined.") var discountFallback = false
    @Option(help: "n-gram: count thresholds per order, e.g. 0,0,1.") var prune: String?
    @Option(help: "HMM hidden states.") var states: Int?
    @Option(help: "Training iterations (Baum-Welch / epochs).") var iterations: Int?
    @Option(help: "Stop when the log-likelihood gain falls below this.") var tolerance: Double?
    @Option(help: "Steps (gradient training).") var steps: Int?
    @Option(name: .customLong("learning-rate"), help: "Learning rate (gradient training).") var learningRate: Double?
    @Option(help: "Random seed.") var seed: UInt64?
    @OptionGroup var output: OutputOptions

    func run() throws {
        let descriptor = try ArchitectureRegistry.shared.descriptor(named: architecture)
        guard let train = descriptor.train else { throw TrainingRequestError.unsupported(architecture: architecture) }
        var options: [String: String] = [:]
        options["order"] = order.map(String.init)
        options["discount-fallback"] = discountFallback ? "true" : nil
        options["prune"] = prune
        options["states"] = states.map(String.init)
        options["iterations"] = iterations.map(String.init)
        options["tolerance"] = tolerance.map { String($0) }
        options["steps"] = steps.map(String.init)
        options["learning-rate"] = learningRate.map { String($0) }
        options["seed"] = seed.map(String.init)
        let start = Date()
        var result = try train(TrainingRequest(corpus: corpus, out: out, options: options))
        let seconds = Date().timeIntervalSince(start)
        result["out"] = .string(out)
        result["seconds"] = .double(seconds)
        if output.json {
            Console.printJSON(.object(result))
        } else {
            Console.printTable(result.entries.map { [$0.key, $0.value.stringValue ?? $0.value.compactText] })
        }
    }
}
