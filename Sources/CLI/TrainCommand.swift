import ArgumentParser
import Foundation
import LMZoo

/// `lmzoo train ARCH --corpus F --out PATH [options]`: estimate or train a model. The options are
/// passed to the plugin by name; each plugin documents the ones it reads.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Estimate or train a model of an architecture on a corpus.",
        discussion: """
            Each architecture reads its own options (its plugin's list):
            \(optionsByArchitecture)
            Gradient-training options
            --steps, --batch-size, --context, --learning-rate, --warmup, --weight-decay, --clip, --seed,
            --checkpoint-every N (OUT/checkpoint.safetensors), --resume.
            """)

    /// One line per trainable architecture: its name (and aliases) and the options its plugin reads
    /// besides the common gradient-training ones.
    static var optionsByArchitecture: String {
        ArchitectureRegistry.shared.all.filter { $0.train != nil }.map { entry in
            let aliases = entry.aliases.isEmpty ? "" : " (alias \(entry.aliases.joined(separator: ", ")))"
            let own = entry.trainOptions.filter { !TrainerOptions.requestOptions.contains($0) }.map { "--" + $0 }
            return "\(entry.name)\(aliases): \(own.joined(separator: ", "))"
        }.joined(separator: "\n")
    }

    @Argument(help: "The architecture (\(ArchitectureRegistry.shared.names { $0.train != nil })).") var architecture: String
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
    @Option(name: .customLong("embedding-size"), help: "LSTM: embedding width; GPT-2: n_embd.") var embeddingSize: Int?
    @Option(name: .customLong("hidden-size"), help: "LSTM: hidden state width; BERT: hidden_size.") var hiddenSize: Int?
    @Option(help: "LSTM / GPT-2 / BERT: stacked layers.") var layers: Int?
    @Option(help: "GPT-2 / BERT: attention heads.") var heads: Int?
    @Option(name: .customLong("vocab-size"), help: "GPT-2: BPE vocabulary size to learn (default 512); BERT: WordPiece vocabulary size (default 2000).") var vocabSize: Int?
    @Option(name: .customLong("batch-size"), help: "Windows per update (gradient training).") var batchSize: Int?
    @Option(help: "Tokens per training window (gradient training).") var context: Int?
    @Option(help: "Warm-up updates before the cosine decay (default 5% of --steps).") var warmup: Int?
    @Option(name: .customLong("weight-decay"), help: "AdamW weight decay (default 0.01).") var weightDecay: Double?
    @Option(help: "Gradient-norm clipping (default 1, 0 = off).") var clip: Double?
    @Option(name: .customLong("checkpoint-every"), help: "Write OUT/checkpoint.safetensors every N updates.") var checkpointEvery: Int?
    @Flag(help: "Continue from OUT/checkpoint.safetensors (or an interrupted run's last checkpoint); replaces OUT.") var resume = false
    @Flag(help: "Replace OUT if it exists (a model folder or a file; never an input).") var force = false
    @Flag(help: "No progress bar on stderr.") var quiet = false
    @OptionGroup var output: OutputOptions

    func run() throws {
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
        options["embedding-size"] = embeddingSize.map(String.init)
        options["hidden-size"] = hiddenSize.map(String.init)
        options["layers"] = layers.map(String.init)
        options["heads"] = heads.map(String.init)
        options["vocab-size"] = vocabSize.map(String.init)
        options["batch-size"] = batchSize.map(String.init)
        options["context"] = context.map(String.init)
        options["warmup"] = warmup.map(String.init)
        options["weight-decay"] = weightDecay.map { String($0) }
        options["clip"] = clip.map { String($0) }
        options["checkpoint-every"] = checkpointEvery.map(String.init)
        options["resume"] = resume ? "true" : nil
        options["command"] = CommandLine.arguments.joined(separator: " ")
        let start = Date()
        let train = try trainer()
        // An option the trainer does not read is a usage mistake, not silently ignored.
        try TrainingRecipes.checkOptions(options, architecture: architecture)
        // OUT is written whole under a staging folder beside it, then renamed into place (--resume
        // replaces the OUT it continues; a checkpoint of an interrupted run waits in the staging folder).
        let target = try StagedOutput(destination: out, inputs: [corpus], replace: force || resume, keepPartial: resume)
        let request = TrainingRequest(corpus: corpus, out: target.path, options: options, resumeFrom: resume ? resumeCheckpoint(target) : nil,
                                      showProgress: !quiet)
        var result = try target.write(keepingPartialOnFailure: { keepCheckpoint(of: target) }) { _ in try train(request) }
        let seconds = Date().timeIntervalSince(start)
        result["out"] = .string(out)
        result["seconds"] = .double(seconds)
        if output.json {
            Console.printJSON(.object(result))
        } else {
            Console.printTable(result.entries.map { [$0.key, $0.value.stringValue ?? $0.value.compactText] })
        }
    }

    /// The architecture's trainer: its plugin's ``ArchitectureDescriptor/train`` hook.
    private func trainer() throws -> (TrainingRequest) throws -> JSONObject {
        let descriptor: ArchitectureDescriptor
        do { descriptor = try ArchitectureRegistry.shared.descriptor(named: architecture) } catch { throw UsageError(String(describing: error)) }
        guard let train = descriptor.train else { throw TrainingRequestError.unsupported(architecture: architecture) }
        return train
    }

    /// After a failed run: whether the staging folder is kept for `--resume` (with `--checkpoint-every`,
    /// when a checkpoint is there), saying so.
    private func keepCheckpoint(of target: StagedOutput) -> Bool {
        let checkpoint = Paths.join(target.path, "checkpoint.safetensors")
        guard checkpointEvery != nil, Paths.exists(checkpoint) else { return false }
        Console.note("the last checkpoint is kept in \(checkpoint); rerun with --resume to continue")
        return true
    }

    /// `--resume` continues OUT's checkpoint, else the one an interrupted run left in the staging folder.
    private func resumeCheckpoint(_ target: StagedOutput) -> String {
        let finished = Paths.join(out, "checkpoint.safetensors")
        let interrupted = Paths.join(target.path, "checkpoint.safetensors")
        return !Paths.exists(finished) && Paths.exists(interrupted) ? interrupted : finished
    }
}
