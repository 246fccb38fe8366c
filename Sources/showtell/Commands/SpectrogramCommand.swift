import ArgumentParser
import AudioFrontEnd
import MediaFormats

struct SpectrogramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spectrogram",
        abstract: "Write the 256x256 log-spectrogram of the 0.6 s window centred at a time, and print what the cleaner saw.",
        discussion: """
            The window is resampled to 24 kHz, denoised and analysed exactly as the appliance \
            does live (see LogSpectrogram for the definition). The image shows the top 80 dB, \
            low frequencies at the bottom. Output type follows the extension: .png, .pgm, .jpg.
            """
    )

    @Argument(help: "Input WAV file (PCM 16/24/32-bit or float, any rate, mono or stereo).")
    var input: String

    @Option(help: "Centre of the 0.6 s window, in seconds.")
    var at: Double

    @Option(help: "Output image (.png, .pgm or .jpg).")
    var out: String

    @Flag(help: "Read a WAV whose data chunk was cut short (keep the complete samples).")
    var recoverTruncated = false

    func run() throws {
        let (clip, readReport) = try WAVFile.read(input, recoverTruncated: recoverTruncated)
        if readReport.missingBytes > 0 {
            print("warning: \(input) is truncated; \(readReport.missingBytes) bytes missing, using the complete samples")
        }
        if readReport.sanitisedSamples > 0 {
            print("warning: \(input) has \(readReport.sanitisedSamples) samples that are NaN, infinite or beyond full scale; silenced or clipped to full scale")
        }
        let analysis = try WindowAnalysis.analyse(clip, centre: at)
        try ImageFiles.write(analysis.image(), to: out)
        let r = analysis.report
        func f(_ x: Float, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", Double(x)) }
        print("input      \(input): \(clip.sampleRate) Hz, \(clip.channels) ch, \(readReport.format), \(String(format: "%.2f", clip.duration)) s")
        print("window     \(String(format: "%.3f", analysis.start))-\(String(format: "%.3f", analysis.end)) s -> 24 kHz, 256x256 -> \(out)")
        print("speech     \(f(r.speechFraction * 100, 0)) % of 10 ms frames (speaking at window end: \(r.speakingNow ? "yes" : "no"))")
        print("level      rms \(f(r.level.rmsDBFS)) dBFS, peak \(f(r.level.peakDBFS)) dBFS, clipped \(f(r.level.clippedFraction * 100, 2)) %")
        print("noise      speech-band floor \(f(r.noiseFloorDB)) dB")
    }
}
