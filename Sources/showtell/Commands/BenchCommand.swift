import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (run on a release build: swift build -c release).",
        subcommands: [FrontEndBenchCommand.self, ApplianceBenchCommand.self, NeuralBenchCommand.self, EngineBenchCommand.self, PrepBenchCommand.self]
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

struct ApplianceBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "appliance",
        abstract: "Replay a recorded session through the real-time loop; report drops, skips, latency, CPU, RSS and allocations per frame."
    )

    @Option(help: "Session folder (video.avi + audio.wav).")
    var session: String

    @Option(help: "Minutes of video to replay (the session loops).")
    var minutes = 10.0

    @Option(help: "Screen size WIDTHxHEIGHT.")
    var screen = "1280x800"

    @Option(help: "Model bundle directory (default: no model).")
    var model: String?

    @Option(help: "Threads for the model (OpenBLAS and the backbones' loops).")
    var modelThreads = 1

    func run() throws {
        let parts = screen.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw ValidationError("--screen must look like 1280x800") }
        guard modelThreads >= 1 else { throw ValidationError("--model-threads must be at least 1") }
        try ApplianceBenchmark(session: session, minutes: minutes, screenWidth: parts[0], screenHeight: parts[1],
                               modelDirectory: model, modelThreads: modelThreads).run()
    }
}
