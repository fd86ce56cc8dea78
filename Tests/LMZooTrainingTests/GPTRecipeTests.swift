import Foundation
import LMZooCore
import LMZooFormats
import LMZooGPT
import LMZooTestSupport
import LMZooTraining
import Testing

/// The byte-level BPE trainer and `lmzoo train gpt2` through the library.
@Suite struct GPTRecipeTests {
    static let text = String(repeating: """
        The quick brown fox jumps over the lazy dog while seven wizards quietly box jumping frogs. \
        Pack my box with five dozen liquor jugs; amazingly few discotheques provide jukeboxes. \
        How vexingly quick daft zebras jump, and the five boxing wizards jump quickly at dawn.

        """, count: 12)

    @Test func bpeLearnsFrequentPairsAndRoundTrips() throws {
        let (tokens, merges) = try ByteLevelBPETrainer.train(text: Self.text, vocabularySize: 300)
        #expect(tokens.count == 300 && tokens.last == "<|endoftext|>")
        #expect(Set(tokens).count == tokens.count)
        #expect(merges.count == 300 - 257)
        // "e" + "s"/"w"/... : the first merge is the most frequent adjacent pair of the text's words.
        let tokenizer = try ByteLevelBPETokenizer(tokens: tokens, merges: merges)
        let ids = try tokenizer.encode(Self.text)
        #expect(tokenizer.decode(ids) == Self.text)
        #expect(ids.count < Self.text.utf8.count / 2, "merges compress: \(ids.count) ids for \(Self.text.utf8.count) bytes")
        #expect(tokenizer.decode(try tokenizer.encode("naïve 日本")) == "naïve 日本")  // unseen bytes still encode
        #expect(throws: TrainingError.self) { try ByteLevelBPETrainer.train(text: "x", vocabularySize: 100) }
    }

    @Test func trainsAGPT2DirectoryWithHFFiles() throws {
        let directory = try Fixtures.scratchDirectory("train-gpt")
        defer { Fixtures.removeScratch(directory) }
        let corpus = directory + "/corpus.txt"
        try Self.text.write(toFile: corpus, atomically: true, encoding: .utf8)
        let out = directory + "/model"
        let result = try GPTRecipe.train(TrainingRequest(corpus: corpus, out: out, options: [
            "vocab-size": "300", "embedding-size": "16", "layers": "1", "heads": "2", "steps": "60",
            "batch-size": "4", "context": "16", "learning-rate": "0.01", "seed": "1",
        ]))
        let loss = try #require(result["final_loss"]?.doubleValue)
        #expect(loss < log(300.0) * 0.7, "loss \(loss) (uniform: ln 300 = 5.7)")
        let config = try JSONFile.read(path: out + "/config.json")
        #expect(config["model_type"]?.stringValue == "gpt2" && config["n_embd"]?.intValue == 16)
        let tensors = try SafetensorsReader.read(path: out + "/model.safetensors")
        #expect(tensors["transformer.h.0.attn.c_attn.weight"]?.shape == [16, 48])  // Conv1D [in, out]
        #expect(tensors["transformer.h.0.mlp.c_proj.weight"]?.shape == [64, 16])
        #expect(tensors["lm_head.weight"] == nil)  // tied to wte, as Hugging Face stores GPT-2
        let vocabulary = try HFVocabulary.read(directory: out)
        #expect(vocabulary.kind == .bpe && vocabulary.tokens.count == 300 && vocabulary.merges.count == 43)
        let reread = try ByteLevelBPETokenizer(tokens: vocabulary.tokens, merges: vocabulary.merges)
        #expect(reread.decode(try reread.encode("the newest")) == "the newest")
    }
}
