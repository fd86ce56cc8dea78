import ArgumentParser
import Foundation
import LMZoo

/// Entry point: runs the command and turns every error into a one-line message and an exit code
/// (1: bad input or model; 2: usage), as ../shared/CLI.md prescribes.
@main
enum Main {
    static func main() {
        let arguments = CommandLine.arguments
        if arguments.count > 1, arguments[1] == HDF5CrashGuard.probeArgument {
            HDF5CrashGuard.runProbe(Array(arguments.dropFirst(2)))
        }
        // Untrusted HDF5 files are read first by a child lmzoo (libhdf5 crashes on some corrupt files).
        HDF5CrashGuard.mode = .spawn(executable: "/proc/self/exe", timeoutSeconds: HDF5CrashGuard.defaultTimeoutSeconds)
        LMZoo.registerBuiltins()
        let command: ParsableCommand
        do {
            command = try LMZooCommand.parseAsRoot()
        } catch {
            exitForParseError(error)
        }
        do {
            var runnable = command
            try runnable.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let usage as UsageError {
            Console.error(usage.description)
            Foundation.exit(2)
        } catch let refusal as OutputRefusal {  // OUT is an input, exists without --force, ...: nothing was written
            Console.error(refusal.description)
            Foundation.exit(2)
        } catch {
            Console.error(String(describing: error))
            Foundation.exit(1)
        }
    }

    /// Help and version go to stdout with 0; anything else is a usage error (2).
    private static func exitForParseError(_ error: Error) -> Never {
        let code = LMZooCommand.exitCode(for: error)
        if code == .success {
            print(LMZooCommand.fullMessage(for: error))
            Foundation.exit(0)
        }
        Console.error(LMZooCommand.message(for: error))
        Foundation.exit(2)
    }
}

/// A mistake in how the command was called (exit code 2).
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
