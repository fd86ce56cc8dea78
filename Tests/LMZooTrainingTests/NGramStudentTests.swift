import Foundation
import LMZoo
import LMZooCore
import LMZooFormats
import LMZooLSTM
import LMZooNGram
import LMZooTestSupport
import LMZooTraining
import Testing

/// The n-gram student (expected Kneser-Ney on the teacher's soft counts) and the teacher cache, with
/// the small GPT-2 teacher of ``DistillerTests`` (fixed seeds).
@Suite(.serialized) struct NGramStudentTests {
    static func settings(order: Int = 3) -> NGramStudent.Settings {
        var settings = NGramStudent.Settings()
        (settings.order, settings.window, settings.topK, settings.topP) = (order, 32, 16, 0.95)
        return settings
    }

    static func ids() throws -> [Int] { try DistillerTests.gptTeacher.tokenizer.encode(DistillerTests.text) }

    @Test func softCountsLowerTheKLAndBeatHardCounts() throws {
        let (_, report) = try NGramStudent.distill(teacher: DistillerTests.gptTeacher, ids: try Self.ids(), settings: Self.settings())
        #expect(report.klAfter < 0.5 * report.klBefore, "KL vs uniform \(report.klBefore) -> \(report.klAfter)")
        #expect(report.klAfter < report.klHardCounts, "KL soft counts \(report.klAfter), hard counts \(report.klHardCounts)")
        #expect(report.teacherForwardPasses > 0)
        #expect(report.counts.count == 3 && report.counts[2] > 0)
    }

    /// The student's next-token distributions over the teacher's vocabulary sum to 1 (less the sliver
    /// the unigram level leaves to `</s>` and `<unk>`).
    @Test func softCountEstimatorIsAProperDistribution() throws {
        let teacher = DistillerTests.gptTeacher
        let (model, _) = try NGramStudent.distill(teacher: teacher, ids: try Self.ids(), settings: Self.settings())
        let ids = try teacher.tokenizer.encode("the cat sees a book")
        for prefix in 1...ids.count {
            let q = try model.nextTokenLogProbs(context: Array(ids[..<prefix]))
            let mass = q.reduce(0.0) { $0 + Double(exp($1)) }
            #expect(mass > 0.99 && mass <= 1.0 + 1e-4, "mass \(mass) after \(prefix) tokens")  // </s> and <unk> keep a sliver
        }
    }

    /// The written directory (config.json + model.arpa.gz + the teacher's BPE files, written from the
    /// teacher's tokenizer itself) loads through the registry, tokenizes as the teacher, and gives the
    /// estimated model's distributions.
    @Test func writtenDirectoryLoadsWithTheTeachersTokenizer() throws {
        let teacher = DistillerTests.gptTeacher
        let (model, _) = try NGramStudent.distill(teacher: teacher, ids: try Self.ids(), settings: Self.settings())
        let out = try Fixtures.scratchDirectory("ngram-student")
        try NGramStudent.write(model, to: out)
        #expect(Paths.exists(out + "/vocab.json") && Paths.exists(out + "/merges.txt"))
        LMZoo.registerBuiltins()
        let loaded = try ModelLoader.load(out)
        #expect(loaded.architecture == "ngram")
        let text = "the old man reads the map. "
        #expect(try loaded.tokenizer.encode(text) == (try teacher.tokenizer.encode(text)))
        let ids = try teacher.tokenizer.encode(text)
        let (a, b) = (try loaded.nextTokenLogProbs(context: ids), try model.nextTokenLogProbs(context: ids))
        #expect(zip(a, b).map { abs($0 - $1) }.max()! < 1e-4)
        let scored = try loaded.score(text: text, bos: true)
        #expect(scored.tokenCount == ids.count)
        #expect(abs(scored.logProb - (try model.tokenLogProbs(ids)).reduce(0, +)) < 1e-3)
    }

    static func cacheSettings() -> TeacherCache.Settings {
        TeacherCache.Settings(teacher: "test-gpt-teacher", corpus: SHA256.hexDigest(of: Array(DistillerTests.text.utf8)), window: 32,
                              vocabulary: DistillerTests.gptTeacher.tokenizer.vocabularySize, topK: 24)
    }

    static func distill(cache: TeacherCache?) throws -> (Distiller.Report, [Float]) {
        let teacher = DistillerTests.gptTeacher
        let student = LSTMTrainable(sizes: .init(vocabulary: teacher.tokenizer.vocabularySize, embedding: 16, hidden: 32, layers: 1), seed: 2)
        var settings = Distiller.Settings()
        (settings.training.steps, settings.training.batchSize, settings.training.context, settings.training.seed) = (20, 4, 32, 3)
        settings.cacheBytes = 0  // no in-memory reuse: every window goes to the disk cache
        let distiller = try Distiller(teacher: teacher, student: student, settings: settings)
        distiller.teacherCache = cache
        let report = try distiller.run(ids: try Self.ids())
        return (report, Array(UnsafeBufferPointer(start: student.parameters.values, count: student.parameters.count)))
    }

    /// A second run with the same cache runs no teacher pass and ends with the same weights.
    @Test func secondRunReadsTheCacheAndEndsWithTheSameWeights() throws {
        let root = try Fixtures.scratchDirectory("teacher-cache")
        let first = try TeacherCache(root: root, settings: Self.cacheSettings())
        let (report1, weights1) = try Self.distill(cache: first)
        #expect(report1.teacherForwardPasses > 0)
        let second = try TeacherCache(root: root, settings: Self.cacheSettings())
        let (report2, weights2) = try Self.distill(cache: second)
        #expect(report2.teacherForwardPasses == 0)
        #expect(second.writes == 0 && second.hits > 0)
        #expect(weights1 == weights2)
        #expect(report1.klAfter == report2.klAfter)
        // Held-out windows are cached as whole rows: the evaluation matches an uncached run (to f16).
        let (uncached, _) = try Self.distill(cache: nil)
        #expect(abs(uncached.klBefore - report1.klBefore) < 1e-3 * uncached.klBefore, "\(uncached.klBefore) vs \(report1.klBefore)")
        #expect(abs(uncached.teacherPerplexity - report1.teacherPerplexity) < 1e-3 * uncached.teacherPerplexity)
    }

    @Test func cacheSelectsTheSameTopKAsTopK() {
        var rng = SplitMix64(seed: 9)
        for k in [1, 5, 64, 300] {
            var row = (0..<1000).map { _ in Float(rng.nextUnitDouble() * 20 - 20).rounded() / 4 }  // ties included
            row[3] = -.infinity
            let padded = [Float(7)] + row  // a slice that does not start at 0
            #expect(TeacherCache.largest(padded[1...], k: k) == TopK.indices(of: row, k: k))
        }
    }

    /// Truncated, corrupted or foreign window files are recomputed (counted), never trusted or fatal;
    /// another key (top-k) is another folder.
    @Test func corruptCacheFilesAreRebuilt() throws {
        let root = try Fixtures.scratchDirectory("teacher-cache-corrupt")
        let cache = try TeacherCache(root: root, settings: Self.cacheSettings())
        let ids = try Self.ids()
        let inputs = Array(ids[0..<32])
        var passes = 0
        let compute = { () throws -> [Float] in
            passes += 1
            return try DistillerTests.gptTeacher.nextTokenLogProbRows(inputs).flatMap { $0 }
        }
        let rows = try cache.logProbs(start: 0, inputs: inputs, compute: compute)
        let path = cache.directory + "/w0.bin"
        let good = Array(FileManager.default.contents(atPath: path)!)
        for bad in [Array(good.prefix(100)), good.enumerated().map { $0 == 200 ? $1 ^ 0xFF : $1 }, Array("not a cache file".utf8)] {
            try AtomicFileWriter.write(bad, to: path)
            #expect(try cache.logProbs(start: 0, inputs: inputs, compute: compute) == rows)
        }
        #expect(cache.rebuilt == 3 && passes == 4)
        // Other inputs under the same start (a corpus that changed under the same key) are recomputed too.
        let other = Array(ids[1..<33])
        _ = try cache.logProbs(start: 0, inputs: other) { try DistillerTests.gptTeacher.nextTokenLogProbRows(other).flatMap { $0 } }
        #expect(cache.rebuilt == 4)
        var settings = Self.cacheSettings()
        settings.topK = 0
        #expect(try TeacherCache(root: root, settings: settings).directory != cache.directory)
        // Rows read back are distributions.
        let V = DistillerTests.gptTeacher.tokenizer.vocabularySize
        let mass = rows[0..<V].reduce(0.0) { $0 + Double(exp($1)) }
        #expect(abs(mass - 1) < 1e-4)
    }

    /// A line break would split an ARPA line: such tokens get `<tok_ID>` words, as blanks do.
    @Test func wordFormsNeverHoldALineBreakOrBlank() {
        #expect(NGramWordForms.words(for: ["a", "\n", " ", "b\tc", "Ġthe"]) == ["a", "<tok_1>", "<tok_2>", "<tok_3>", "Ġthe"])
    }
}
