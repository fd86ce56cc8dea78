import Foundation
import LMZoo
import LMZooTestSupport
import Testing

/// An architecture registered from outside lmzoo's tree (``BigramArchitecture``, defined in this test
/// target with the public API only) takes part in what the built-ins do, through the same library calls
/// the CLI makes: `convert --layout` (its own name tables, to GGUF and back), detection from tensor
/// names, GGUF export metadata, model-directory writing, `train` and `distill`.
@Suite(.serialized) struct OutOfTreeRegistrationTests {
    static let name = BigramArchitecture.name
    static let corpus = "the cat sat on the mat. a hat, a bat, a rat.\nthat cat ate the rat that sat.\n"

    init() {
        LMZoo.registerBuiltins()
        ArchitectureRegistry.shared.register(BigramArchitecture.descriptor)
    }

    /// Trains a model through the registry's train hook (as `lmzoo train charbigram` does).
    static func trained(in scratch: String) throws -> String {
        try corpus.write(toFile: scratch + "/corpus.txt", atomically: true, encoding: .utf8)
        let plugin = try ArchitectureRegistry.shared.descriptor(named: name)
        let train = try #require(plugin.train)
        let out = scratch + "/trained"
        let fields = try train(TrainingRequest(corpus: scratch + "/corpus.txt", out: out, options: [:]))
        #expect(fields["tokens"] == .int(corpus.count))
        return out
    }

    static func table(_ model: any LanguageModel) throws -> [[Float]] {
        try (0..<model.tokenizer.vocabularySize).map { try model.nextTokenLogProbs(context: [$0]) }
    }

    @Test func convertsThroughItsOwnNameTablesToGGUFAndBack() throws {
        let scratch = try Fixtures.scratchDirectory("out-of-tree-convert")
        defer { Fixtures.removeScratch(scratch) }
        let directory = try Self.trained(in: scratch)
        let checkpoint = try Checkpoint.open(directory)
        #expect(LayoutConverter.architectures().contains(Self.name))
        #expect(LayoutConverter.detectArchitecture(checkpoint.tensors) == Self.name)
        #expect(LayoutConverter.detectLayout(checkpoint.tensors, architecture: Self.name) == .hf)

        // GGUF export: llama.cpp names from its table (the head transposed), its metadata typed, the shared tokenizer part.
        let (gguf, notes) = try ConversionPlan.prepare(checkpoint, for: GGUFFormat(), layout: nil, architecture: nil, dtype: nil)
        let V = try checkpoint.tensors.tensor("bigram.embed.weight").shape[0]
        #expect(gguf.names.sorted() == ["output.bias", "output.weight", "token_embd.weight"])
        #expect(try gguf.tensor("output.weight").isBitwiseEqual(to: try checkpoint.tensors.tensor("bigram.head.weight").transposed2D()))
        #expect(notes.contains { $0.contains("llama.cpp metadata for \(Self.name)") })
        let path = scratch + "/model.gguf"
        _ = try GGUFFormat().write(gguf, to: path, options: WriteOptions())
        let kv = try #require(GGUFReader.keyValues(of: try GGUFReader.read(path: path)))
        #expect(kv[key: "general.architecture"] == .string(BigramArchitecture.ggufName))
        #expect(kv[key: "\(BigramArchitecture.ggufName).embedding_length"] == .uint32(UInt32(V)))
        #expect(kv[key: "tokenizer.ggml.tokens"]?.arrayValue?.count == V)

        // The GGUF file names its architecture (llama.cpp's name, mapped back to the plugin), is recognised by its
        // tensor names too, and loads.
        let reopened = try Checkpoint.open(path)
        #expect(reopened.architecture == Self.name)
        #expect(LayoutConverter.detectArchitecture(reopened.tensors) == Self.name)
        #expect(LayoutConverter.detectLayout(reopened.tensors, architecture: Self.name) == .gguf)
        let original = try ModelLoader.load(directory)
        #expect(original.architecture == Self.name)
        #expect(try Self.table(ModelLoader.load(path)) == (try Self.table(original)))

        // convert --layout: GGUF -> Hugging Face gives the original tensors back; PyTorch adds its prefix and round-trips.
        var layoutNotes: [String] = []
        let hf = try LayoutConverter.convert(reopened.tensors, architecture: nil, to: .hf, notes: &layoutNotes)
        #expect(hf.names.sorted() == checkpoint.tensors.names.sorted())
        for name in hf.names { #expect(try hf.tensor(name).isBitwiseEqual(to: try checkpoint.tensors.tensor(name)), "\(name)") }
        let torch = try LayoutConverter.convert(hf, architecture: Self.name, to: .torch, notes: &layoutNotes)
        #expect(torch.names.allSatisfy { $0.hasPrefix("model.bigram.") })
        #expect(LayoutConverter.detectLayout(torch, architecture: Self.name) == .torch)
        #expect(try LayoutConverter.convert(torch, architecture: Self.name, to: .gguf, notes: &layoutNotes).names.sorted() == gguf.names.sorted())
        #expect(throws: LayoutError.unsupported(architecture: Self.name, layout: .keras)) {
            try LayoutConverter.convert(hf, architecture: Self.name, to: .keras, notes: &layoutNotes)
        }

        // Model directory from the GGUF file (lmzoo convert model.gguf OUT_DIR --layout hf): the plugin's files.
        let out = scratch + "/converted"
        let summary = try ModelDirectoryWriter.write(reopened, to: out, layout: .hf, architecture: nil, options: WriteOptions())
        #expect(summary.files.map { Paths.fileName(of: $0) }.sorted() == ["config.json", "merges.txt", "model.safetensors", "vocab.json"])
        #expect(try JSONFile.read(path: out + "/config.json").objectValue?["model_type"] == .string(Self.name))
        #expect(try Self.table(ModelLoader.load(out)) == (try Self.table(original)))
    }

    @Test func trainsAndDistilsThroughItsHooks() throws {
        let scratch = try Fixtures.scratchDirectory("out-of-tree-train")
        defer { Fixtures.removeScratch(scratch) }
        let plugin = try ArchitectureRegistry.shared.descriptor(named: Self.name)
        #expect(plugin.capabilities.contains(.train) && plugin.capabilities.contains(.distill))
        // `lmzoo train` refuses options the plugin does not read, and passes those it lists.
        #expect(throws: TrainingRequestError.self) { try TrainingRecipes.checkOptions(["order": "3"], architecture: Self.name) }
        try TrainingRecipes.checkOptions(["embedding-size": "4", "command": "lmzoo train"], architecture: Self.name)

        // Trained by its hook: the add-one bigram estimates of the corpus.
        let directory = try Self.trained(in: scratch)
        let teacher = try ModelLoader.load(directory)
        let ids = try teacher.tokenizer.encode(Self.corpus)
        let t = try teacher.tokenizer.encode("t")[0], h = try teacher.tokenizer.encode("h")[0]
        let afterT = ids.indices.dropLast().filter { ids[$0] == t }
        let expected = Double(afterT.filter { ids[$0 + 1] == h }.count + 1) / Double(afterT.count + teacher.tokenizer.vocabularySize)
        #expect(abs(Double(exp(try teacher.nextTokenLogProbs(context: [t])[h])) - expected) < 1e-5)

        // Distilled by its hook (as `lmzoo distill --student-arch charbigram` calls it): a bigram student of a
        // bigram teacher recovers the teacher's rows for every previous token the corpus shows.
        let distill = try #require(plugin.distill)
        let out = scratch + "/student"
        let fields = try distill(DistillationRequest(teacher: teacher, teacherPath: directory, corpus: scratch + "/corpus.txt", ids: ids,
                                                     out: out, student: nil, options: [:], showProgress: false))
        #expect(fields["positions"] == .int(ids.count - 1))
        let student = try ModelLoader.load(out)
        #expect(student.architecture == Self.name)
        for previous in Set(ids.dropLast()) {
            let (s, te) = (try student.nextTokenLogProbs(context: [previous]), try teacher.nextTokenLogProbs(context: [previous]))
            #expect(zip(s, te).allSatisfy { abs(exp($0) - exp($1)) < 1e-4 }, "row \(previous)")
        }
    }
}
