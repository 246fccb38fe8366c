import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (run on a release build: swift build -c release).",
        subcommands: [FrontEndBenchCommand.self]
    )
}

struct FrontEndBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontend",
        abstract: "Audio front-end throughput on one core (resample 48->24 kHz + denoise + VAD + spectrogram) and heap allocations per window."
    )

    @Option(help: "Windows per repetition.")
    var windows = 2_000

    @Option(help: "Repetitions (the median is reported).")
    var repetitions = 5

    func run() throws {
        try FrontEndBenchmark(windows: windows, repetitions: repetitions).run()
    }
}
