import Foundation
import LMZoo
import LMZooCore
import LMZooTestSupport
import Testing
@testable import LMZooFormats

@Suite struct ConversionPlanTests {
    /// Layouts and GGUF metadata are the plugins' (``ArchitectureDescriptor``): registered as the CLI does.
    init() { LMZoo.registerBuiltins() }

    @Test func huggingFaceGPT2BecomesALlamaCppGGUF() throws {
        let checkpoint = try Checkpoint.open(Fixtures.path("hf/gpt2-tiny"))
        let (tensors, notes) = try ConversionPlan.prepare(checkpoint, for: GGUFFormat(), layout: nil, architecture: nil, dtype: nil)
        #expect(tensors["blk.1.attn_qkv.weight"]?.shape == [96, 32])
        #expect(tensors["token_embd.weight"]?.shape == [300, 32])
        #expect(try tensors.tensor("output.weight").isBitwiseEqual(to: try tensors.tensor("token_embd.weight")))
        #expect(notes.contains { $0.contains("llama.cpp metadata") })

        let scratch = try Fixtures.scratchDirectory("gguf-hf")
        defer { Fixtures.removeScratch(scratch) }
        let out = scratch + "/gpt2-tiny.gguf"
        _ = try GGUFFormat().write(tensors, to: out, options: WriteOptions())
        let kv = try #require(GGUFReader.keyValues(of: try GGUFReader.read(path: out)))
        #expect(kv[key: "general.architecture"] == .string("gpt2"))
        #expect(kv[key: "gpt2.context_length"] == .uint32(64))
        #expect(kv[key: "gpt2.embedding_length"] == .uint32(32))
        #expect(kv[key: "gpt2.feed_forward_length"] == .uint32(128))
        #expect(kv[key: "gpt2.block_count"] == .uint32(2))
        #expect(kv[key: "gpt2.attention.head_count"] == .uint32(2))
        #expect(kv[key: "gpt2.attention.layer_norm_epsilon"] == .float32(1e-5))
        #expect(kv[key: "tokenizer.ggml.model"] == .string("gpt2"))
        let vocabulary = try HFVocabulary.read(directory: Fixtures.path("hf/gpt2-tiny"))
        #expect(kv[key: "tokenizer.ggml.tokens"] == .array(.string(vocabulary.tokens)))
        #expect(kv[key: "tokenizer.ggml.merges"] == .array(.string(vocabulary.merges)))
        #expect(kv[key: "tokenizer.ggml.eos_token_id"] == .uint32(UInt32(vocabulary.id(of: "<|endoftext|>")!)))
        let types = try #require(kv[key: "tokenizer.ggml.token_type"]?.arrayValue)
        #expect(types.count == 300 && types[vocabulary.id(of: "<|endoftext|>")!] == .int32(3))
    }

    @Test func huggingFaceBERTBecomesALlamaCppGGUFWithPhantomSpaces() throws {
        let checkpoint = try Checkpoint.open(Fixtures.path("hf/bert-tiny"))
        // llama.cpp's GGUF BERT has no names for the masked-LM head: dropped only when asked.
        #expect(throws: LocatedError.self) { try ConversionPlan.prepare(checkpoint, for: GGUFFormat(), layout: nil, architecture: nil, dtype: .f16) }
        let (tensors, _) = try ConversionPlan.prepare(checkpoint, for: GGUFFormat(), layout: nil, architecture: nil, dtype: .f16, dropHead: true)
        #expect(tensors["blk.0.attn_q.weight"] != nil && tensors["token_types.weight"] != nil)
        #expect(!tensors.names.contains { $0.hasPrefix("cls.") || $0.hasPrefix("bert.") })
        let kv = try #require(tensors.formatExtras[GGUFReader.keyValuesExtra] as? [GGUFKeyValue])
        #expect(kv[key: "bert.attention.causal"] == .bool(false))
        #expect(kv[key: "general.file_type"] == .uint32(1))
        #expect(kv[key: "tokenizer.ggml.cls_token_id"] == .uint32(2))
        #expect(kv[key: "tokenizer.ggml.seperator_token_id"] == .uint32(3))
        let tokens = try #require(kv[key: "tokenizer.ggml.tokens"]?.arrayValue)
        #expect(tokens[2] == .string("[CLS]"))
        let vocabulary = try HFVocabulary.read(directory: Fixtures.path("hf/bert-tiny"))
        let word = try #require(vocabulary.tokens.firstIndex { !$0.hasPrefix("[") && !$0.hasPrefix("##") && $0.count > 2 })
        #expect(tokens[word] == .string("\u{2581}" + vocabulary.tokens[word]))
        if let piece = vocabulary.tokens.firstIndex(where: { $0.hasPrefix("##") }) {
            #expect(tokens[piece] == .string(String(vocabulary.tokens[piece].dropFirst(2))))
        }
    }

    @Test func otherTargetsKeepNamesUnlessALayoutIsAsked() throws {
        let checkpoint = try Checkpoint.open(Fixtures.path("hf/gpt2-tiny"))
        let (kept, _) = try ConversionPlan.prepare(checkpoint, for: SafetensorsFormat(), layout: nil, architecture: nil, dtype: nil)
        #expect(kept.names == checkpoint.tensors.names)
        let (hf, _) = try ConversionPlan.prepare(checkpoint, for: SafetensorsFormat(), layout: .hf, architecture: nil, dtype: nil)
        #expect(hf["h.0.attn.c_attn.weight"] != nil && hf["transformer.wte.weight"] == nil)
    }
}
