import ArgumentParser
import LMZoo

/// `lmzoo list`: the architecture plugins and the checkpoint formats.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List architecture plugins and formats.")

    @OptionGroup var output: OutputOptions

    func run() throws {
        let architectures = ArchitectureRegistry.shared.all
        let formats = CheckpointFormats.all
        if output.json {
            Console.printJSON([
                "architectures": .array(architectures.map { arch in
                    ["name": .string(arch.name), "capabilities": .array(arch.capabilities.map { .string($0.rawValue) }),
                     "implemented": .bool(arch.isImplemented), "model_types": .array(arch.modelTypes.map { .string($0) }),
                     "summary": .string(arch.summary)]
                }),
                "formats": .array(formats.map { format in
                    ["name": .string(format.name), "read": .bool(format.canRead), "write": .bool(format.canWrite),
                     "extensions": .array(format.fileExtensions.map { .string($0) })]
                }),
                "libraries": ["hdf5": .string(NativeLibraries.hdf5Version), "libzip": .string(NativeLibraries.libzipVersion),
                              "openblas": .string(BLAS.configuration)],
            ])
            return
        }
        print("Architectures")
        Console.printTable([["name", "capabilities", "summary"]] + architectures.map { arch in
            [arch.name, arch.isImplemented ? arch.capabilities.map(\.rawValue).joined(separator: ",") : "(not implemented yet)", arch.summary]
        })
        print("\nFormats")
        Console.printTable([["name", "read", "write", "extensions"]] + formats.map { format in
            [format.name, format.canRead ? "yes" : "no", format.canWrite ? "yes" : "no", format.fileExtensions.joined(separator: ",")]
        })
    }
}
