import Foundation
import LMZooCore
import LMZooFormats
import LMZooTraining

/// The `hmm` architecture plugin: discrete hidden Markov language models, hmmlearn-exact.
///
/// Loads hmmlearn's `.npz` (`lmzoo score model.npz --arch hmm`) and lmzoo's directory form
/// (config.json `{"model_type":"hmm",...}`); trains with `lmzoo train hmm` (options `states`,
/// `iterations`, `tolerance`, `seed`).
public enum HMMPlugin {
    /// The registry entry.
    public static let descriptor = ArchitectureDescriptor(
        name: "hmm", summary: "discrete hidden Markov language model (hmmlearn-exact)",
        capabilities: [.tokenize, .predict, .score, .generate, .decode, .train],
        train: { try HMMTraining.run($0) }, trainOptions: ["states", "iterations", "tolerance", "seed"],
        distill: { try HMMStudent.run($0) },
        load: { try HMMCheckpoint.load($0) })
}

/// `lmzoo train hmm --corpus F --out PATH [--states N] [--iterations K] [--tolerance T] [--seed S]`.
///
/// Character level: the vocabulary is the corpus's distinct Unicode scalars (sorted by code
/// point, newline included) plus `<unk>` (any other character; given a small floor probability
/// after training), and the whole corpus is one observation sequence, as the model then
/// scores a file. Parameters start random (seeded), then Baum-Welch runs `iterations` times
/// (default 10) or until the log-likelihood gains less than `tolerance` (default 1e-2, hmmlearn's
/// `tol`). PATH is a directory in lmzoo's form, or, ending in `.npz`, hmmlearn's arrays plus
/// `<stem>.vocab.json`.
public enum HMMTraining {
    public static func run(_ request: TrainingRequest) throws -> JSONObject {
        let states = try request.int("states", default: 16, in: 1...4096)
        let iterations = try request.int("iterations", default: 10, in: 0...Int.max)
        let tolerance = try request.double("tolerance", default: 1e-2)
        let seed = try request.int("seed", default: 0)
        guard !tolerance.isNaN else { throw OptionValueError(name: "tolerance", value: "nan", requirement: "must be a number") }

        let text = try TextFile.read(request.corpus, refusingEmpty: "").text
        let seen = try HMMTokenizer.characters(of: text)
        let tokenizer = try HMMTokenizer(symbols: (0..<seen.vocabularySize).compactMap(seen.token(for:)) + [HMMTokenizer.unknownSymbol],
                                         source: "corpus")
        let ids = try tokenizer.encode(text)

        let initial = HMMParameters.random(numStates: states, vocabularySize: tokenizer.vocabularySize, seed: UInt64(bitPattern: Int64(seed)))
        let model = try HMMModel(parameters: initial, tokenizer: tokenizer)
        let started = Date()
        let report = try model.fit([ids], iterations: iterations, tolerance: tolerance)
        let fitSeconds = Date().timeIntervalSince(started)
        try checkVisited(model.parameters)
        let trained = try HMMModel(parameters: withUnknownFloor(model.parameters, unknownID: tokenizer.vocabularySize - 1),
                                   tokenizer: tokenizer)
        if request.out.lowercased().hasSuffix(".npz") {
            try HMMCheckpoint.exportNPZ(trained, to: request.out)
        } else {
            try HMMCheckpoint.save(trained, directory: request.out)
        }
        let final = try trained.logLikelihood([ids])
        return JSONObject([
            ("states", .int(states)), ("vocab_size", .int(tokenizer.vocabularySize)), ("tokens", .int(ids.count)),
            ("iterations", .int(report.iterations)), ("converged", .bool(report.converged)),
            ("log_likelihood", .array(report.logLikelihoods.map(JSONValue.double))),
            ("final_log_likelihood", .double(final)),
            ("fit_seconds", .double(fitSeconds)),
        ])
    }

    /// Probability every state gives `<unk>` after training (the corpus never shows it, so Baum-Welch
    /// leaves it at 0): text with characters the corpus lacks then scores finitely.
    public static let unknownProbability = 1e-6

    /// `parameters` with each emission row giving ``unknownProbability`` to `unknownID` and the rest
    /// scaled to keep the row stochastic.
    static func withUnknownFloor(_ parameters: HMMParameters, unknownID: Int) throws -> HMMParameters {
        var emissions = parameters.emissions
        let v = parameters.vocabularySize
        for row in 0..<parameters.numStates {
            let rest = (0..<v).reduce(0.0) { $1 == unknownID ? $0 : $0 + emissions[row * v + $1] }
            for symbol in 0..<v {
                emissions[row * v + symbol] = symbol == unknownID ? unknownProbability
                    : emissions[row * v + symbol] / rest * (1 - unknownProbability)
            }
        }
        return try HMMParameters(startProb: parameters.startProb, transitions: parameters.transitions, emissions: emissions,
                                 numStates: parameters.numStates, vocabularySize: v)
    }

    /// A state that training never visits ends with all-zero rows (as in hmmlearn), which is not a
    /// valid model to write.
    static func checkVisited(_ parameters: HMMParameters) throws {
        let n = parameters.numStates, v = parameters.vocabularySize
        for i in 0..<n {
            let transitionSum = parameters.transitions[(i * n)..<((i + 1) * n)].reduce(0, +)
            let emissionSum = parameters.emissions[(i * v)..<((i + 1) * v)].reduce(0, +)
            if transitionSum == 0 || emissionSum == 0 { throw HMMError.unvisitedState(i) }
        }
        try parameters.validate()
    }
}
