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
        checkOptions(of: command)
        do {
            var runnable = command
            try runnable.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch where LMZooCommand.exitCode(for: error) == .success {
            // `--help` / `help CMD`: parseAsRoot returns ArgumentParser's help command, whose run() throws the help.
            exitForParseError(error)
        } catch {
            Console.error(String(describing: error))
            Foundation.exit(error.isUsageMistake ? 2 : 1)
        }
    }

    /// Runs the command's ``OptionChecking`` checks once the whole command line has parsed; a failed
    /// check is a usage error (2).
    private static func checkOptions(of command: ParsableCommand) {
        guard let checked = command as? any OptionChecking else { return }
        do {
            try checked.checkOptions()
        } catch {
            Console.error(String(describing: error))
            Foundation.exit(2)
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
struct UsageError: UsageMistake, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Checks of option values that need more than one option (`give exactly one of --text, --file`)
/// or a range. They are not ArgumentParser's `validate()`: it runs before ArgumentParser looks for
/// unknown options, so `score M --txt hi` was answered with the missing `--text` instead of the
/// unknown `--txt`. ``Main`` runs `checkOptions()` after the whole command line has parsed, before
/// `run()`; what it throws is a usage error (exit 2).
protocol OptionChecking {
    func checkOptions() throws
}
