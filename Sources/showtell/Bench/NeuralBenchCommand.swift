import ArgumentParser
import Foundation
import NeuralCore

struct NeuralBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neural",
        abstract: "Float engine: parameters and MACs per backbone, conv GFLOP/s against sgemm, edge training images/s, paper inference ms.",
        discussion: """
            OpenBLAS 0.3.21 does not recognise some recent Xeons and falls back to generic SSE \
            kernels (the report says so); run with OPENBLAS_CORETYPE=SkylakeX (or Haswell) then, \
            as the board configuration does.
            """
    )

    @Option(help: "OpenBLAS threads for training (paper inference always uses 1).")
    var threads = 2

    @Option(help: "Training batch size.")
    var batch = 16

    @Option(help: "Timed training steps.")
    var steps = 3

    @Option(help: "Timed inference runs of the paper configuration.")
    var runs = 5

    @Option(help: "Image side in pixels.")
    var size = 224

    @Flag(help: "Only time the paper configuration's forward pass (1 thread) and print one line of milliseconds per run.")
    var paperInferenceOnly = false

    @Flag(help: "With --paper-inference-only: output stride 32 (no dilated last stage), the usual ResNeXt-50 shape.")
    var outputStride32 = false

    func validate() throws {
        guard threads >= 1, batch >= 1, steps >= 1, runs >= 1 else { throw ValidationError("counts must be at least 1") }
        guard size >= 32, size % 32 == 0 else { throw ValidationError("--size must be a multiple of 32, at least 32") }
    }

    func run() throws {
        if paperInferenceOnly {
            let times = NeuralBenchmark.paperInference(runs: runs, imageSize: size, outputStride32: outputStride32)
            print(times.map { String(format: "%.2f", $0) }.joined(separator: " "))
            return
        }
        var options = NeuralBenchmark.Options()
        options.threads = threads
        options.trainingBatch = batch
        options.trainingIterations = steps
        options.inferenceRuns = runs
        options.imageSize = size
        print(NeuralBenchmark.run(options))
    }
}
