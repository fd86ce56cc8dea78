import LMZoo
import Testing

@Suite struct RegistrationTests {
    @Test func everyBuiltinPluginAndItsFormatsAreRegistered() throws {
        LMZoo.registerBuiltins()
        let names = ArchitectureRegistry.shared.all.map(\.name)
        for builtin in LMZoo.builtinArchitectures { #expect(names.contains(builtin.name)) }
        #expect(Set(names).isSuperset(of: ["ngram", "hmm", "lstm", "gpt2", "bert"]))
        let formats = CheckpointFormats.all.map(\.name)
        for format in LMZoo.pluginFormats { #expect(formats.contains(format.name)) }
        #expect(formats.contains("safetensors"))
    }
}
