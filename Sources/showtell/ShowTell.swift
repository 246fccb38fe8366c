import ArgumentParser

/// `showtell`: the field-engineer and ML-engineer command line. Each subcommand is a thin
/// shell over a library module; the work happens there.
@main
struct ShowTell: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "showtell",
        abstract: "ShowTell appliance tools: devices, audio front-end, phantom scans, models, status, benchmarks.",
        version: ShowTellVersion.string,
        subcommands: [DevicesCommand.self, SelftestCommand.self, SupportBundleCommand.self, SpectrogramCommand.self, CaptureTestCommand.self, MicTestCommand.self, DisplayTestCommand.self, SynthCommand.self, StatusCommand.self, ControlSendCommand.self, ModelCommand.self, TrainCommand.self, BenchCommand.self, QuantizeCommand.self, PrepCommand.self, EvalCommand.self, LocaliseCommand.self, RelevanceCommand.self, ReplayCommand.self]
    )
}

enum ShowTellVersion {
    static let string = "0.1.0"
}
