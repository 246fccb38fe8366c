// swift-tools-version: 6.2
//
// ShowTell: an edge appliance that implements "Show from Tell" (audio-guided anatomy
// localisation in ultrasound). Module folders follow the data flow of DESIGN.md:
//
//   C libraries (system)  ->  Platform  ->  MediaFormats  ->  AudioFrontEnd / PhantomScan
//                                                       ->  NeuralCore  ->  (Appliance)
//   executables: showtell (field/ML CLI), showtelld (daemon) stay thin.
import PackageDescription

/// A Debian C library consumed through pkg-config; `apt` names the -dev package that
/// provides it so SwiftPM can tell the user what to install.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(
        name: name,
        path: "Sources/CLibraries/\(name)",
        pkgConfig: pkgConfig,
        providers: [.apt([apt])]
    )
}

let cLibraries: [Target] = [
    // MARK: C libraries from Debian (apt), one module each.
    systemLibrary("CALSA", pkgConfig: "alsa", apt: "libasound2-dev"),
    systemLibrary("CV4L2", pkgConfig: "libv4l2", apt: "libv4l-dev"),
    systemLibrary("COpenBLAS", pkgConfig: "openblas", apt: "libopenblas-dev"),
    systemLibrary("CFFTW3", pkgConfig: "fftw3f", apt: "libfftw3-dev"),
    systemLibrary("CSpeexDSP", pkgConfig: "speexdsp", apt: "libspeexdsp-dev"),
    systemLibrary("CSoxr", pkgConfig: "soxr", apt: "libsoxr-dev"),
    systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
    systemLibrary("CDRM", pkgConfig: "libdrm", apt: "libdrm-dev"),
    // pocketsphinx: the speech recogniser of data preparation (not linked by the daemon).
    systemLibrary("CPocketSphinx", pkgConfig: "pocketsphinx", apt: "libpocketsphinx-dev"),

]

let cTargets: [Target] = [
    // MARK: Small C targets (only where C is needed).
    // Kernel/ioctl constants that Swift cannot import as macros (VIDIOC_*, V4L2_PIX_FMT_*).
    .target(name: "CSystemShims", path: "Sources/CLibraries/CSystemShims"),
    // libjpeg reports errors by longjmp; that must stay in C.
    .target(
        name: "CJPEGCodec",
        path: "Sources/CLibraries/CJPEGCodec",
        linkerSettings: [.linkedLibrary("jpeg")]
    ),
    // alsa-lib's variadic error callback, so its messages reach our logs instead of stderr.
    .target(
        name: "CALSAGlue",
        path: "Sources/CLibraries/CALSAGlue",
        linkerSettings: [.linkedLibrary("asound")]
    ),
    // Counts heap allocations for the benchmarks (interposes malloc in the CLI only).
    .target(name: "CAllocCounter", path: "Sources/CLibraries/CAllocCounter"),
    // Int8 inference kernels: a scalar reference and SIMD families (AVX2, AVX-512BW, AVX-VNNI,
    // AVX-512 VNNI, NEON, NEON SDOT) chosen at run time in dispatch.c. -ffp-contract=off: the
    // requantisation's fp32 steps must round identically in every family (no fused multiply-add);
    // -O2 even in debug builds, so the whole-network tests run at kernel speed.
    .target(
        name: "CInt8Kernels",
        path: "Sources/CLibraries/CInt8Kernels",
        cSettings: [.unsafeFlags(["-O2", "-ffp-contract=off"])]
    ),
    // Float kernels BLAS does not serve well (ResNeXt's grouped convolution), by CPU feature.
    .target(
        name: "CFloatKernels",
        path: "Sources/CLibraries/CFloatKernels",
        cSettings: [.unsafeFlags(["-O2"])]
    ),

]

let swiftModules: [Target] = [
    // MARK: Swift modules, in data-flow order.
    .target(
        name: "Platform",
        dependencies: ["CSystemShims"],
        path: "Sources/Platform"
    ),
    .target(
        name: "MediaFormats",
        dependencies: ["Platform", "CJPEGCodec", "CZlib"],
        path: "Sources/MediaFormats"
    ),
    .target(
        name: "AudioFrontEnd",
        dependencies: ["Platform", "MediaFormats", "CFFTW3", "CSpeexDSP", "CSoxr"],
        path: "Sources/AudioFrontEnd"
    ),

    // Phantom scans: synthetic B-mode sessions with narration and exact ground truth.
    .target(
        name: "PhantomScan",
        dependencies: ["Platform", "MediaFormats", "AudioFrontEnd", "CEspeakLoader"],
        path: "Sources/PhantomScan"
    ),
    // espeak-ng is needed only to generate phantoms, so it is loaded with dlopen at run
    // time: the appliance never links it.
    .target(
        name: "CEspeakLoader",
        path: "Sources/CLibraries/CEspeakLoader",
        linkerSettings: [.linkedLibrary("dl")]
    ),
    // Float training engine: explicit forward/backward over arenas, OpenBLAS sgemm.
    .target(
        name: "NeuralCore",
        dependencies: ["Platform", "COpenBLAS"],
        path: "Sources/NeuralCore"
    ),
    // The deployed float model: both branches + projections, model bundles (manifest, SHA-256).
    .target(
        name: "ShowTellModel",
        dependencies: ["NeuralCore", "COpenBLAS", "Platform"],
        path: "Sources/ShowTellModel"
    ),
    // Inference engine: planned graph (BN folded, ReLU fused, buffers made at load), float and
    // int8 (CInt8Kernels), post-training quantisation; serves the loop through ShowTellBranches.
    .target(
        name: "InferenceEngine",
        dependencies: ["ShowTellModel", "NeuralCore", "CInt8Kernels", "CFloatKernels", "COpenBLAS"],
        path: "Sources/InferenceEngine"
    ),

    // Capture: V4L2 grabber and ALSA microphone into lock-free rings.
    .target(
        name: "Capture",
        dependencies: ["Platform", "MediaFormats", "CALSA", "CALSAGlue", "CSystemShims"],
        path: "Sources/Capture"
    ),

    // Display: DRM/KMS dumb buffers with page flips, fbdev fallback, null.
    .target(
        name: "Display",
        dependencies: ["Platform", "MediaFormats", "CDRM", "CSystemShims"],
        path: "Sources/Display"
    ),

    // Control plane: config, sd_notify, metrics, status socket, logs, signals (off the hot path).
    .target(
        name: "ControlPlane",
        dependencies: [
            "Platform",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ],
        path: "Sources/ControlPlane"
    ),

    // The real-time loop: sources -> front-end -> model -> compositor -> screen.
    .target(
        name: "Appliance",
        dependencies: ["Platform", "Capture", "AudioFrontEnd", "Display", "MediaFormats", "ControlPlane", "ShowTellModel", "InferenceEngine", "NeuralCore", "PhantomScan"],
        path: "Sources/Appliance"
    ),

    // Field diagnostics: self-test checks, support bundle, live microphone meter (the CLI's logic).
    .target(
        name: "FieldDiagnostics",
        dependencies: ["Platform", "Capture", "AudioFrontEnd", "ControlPlane", "ShowTellModel", "NeuralCore", "InferenceEngine", "Appliance", "COpenBLAS", "CInt8Kernels", "CALSA", "CSystemShims"],
        path: "Sources/FieldDiagnostics"
    ),

    // Training: the paper's self-supervised framework (data -> text branch -> fusion ->
    // losses -> variants -> loop) on NeuralCore; writes ShowTellModel bundles.
    .target(
        name: "Training",
        dependencies: [
            "NeuralCore", "ShowTellModel", "MediaFormats", "Platform", "COpenBLAS",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ],
        path: "Sources/Training"
    ),

    // Evaluation (the paper's "Results"): metrics, gaze saliency ground truth, downstream
    // task harnesses (plane detection, saliency, localisation) and report pictures.
    .target(
        name: "Evaluation",
        dependencies: ["Platform", "MediaFormats", "GroundTruth", "AudioFrontEnd", "NeuralCore", "ShowTellModel", "InferenceEngine", "Display", "Training"],
        path: "Sources/Evaluation"
    ),

    // Data preparation (`showtell prep`): recordings -> diarization -> ASR -> keywords ->
    // training clip index. Reads video.avi and audio.wav only: no dependency on GroundTruth.
    .target(
        name: "Prep",
        dependencies: ["Platform", "MediaFormats", "AudioFrontEnd", "NeuralCore", "ShowTellModel", "CPocketSphinx", "CFFTW3",
                       .product(name: "TOMLKit", package: "TOMLKit")],
        path: "Sources/Prep"
    ),
    // Ground truth of a session (transcript words with speakers, per-frame labels): for
    // measuring only (prep reports, evaluation).
    .target(
        name: "GroundTruth",
        dependencies: ["MediaFormats"],
        path: "Sources/GroundTruth"
    ),
    // The prep report: a prepared dataset against the ground truth (DER, WER, keywords).
    .target(
        name: "PrepEvaluation",
        dependencies: ["Prep", "GroundTruth", "Platform"],
        path: "Sources/PrepEvaluation"
    ),
]

let executables: [Target] = [
    // MARK: Executables (thin).
    .executableTarget(
        name: "showtell",
        dependencies: [
            "Appliance", "AudioFrontEnd", "Capture", "ControlPlane", "Display", "MediaFormats", "Platform", "PhantomScan", "NeuralCore", "ShowTellModel", "CAllocCounter", "InferenceEngine", "CInt8Kernels", "FieldDiagnostics", "Evaluation", "Training",
            "Prep", "PrepEvaluation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Sources/showtell"
    ),
    .executableTarget(
        name: "showtelld",
        dependencies: ["Appliance", "ControlPlane", "Platform"],
        path: "Sources/showtelld"
    ),

]

let testTargets: [Target] = [
    // MARK: Tests (Swift Testing; fixtures committed, no Python needed).
    // Helpers shared by test targets (scratch folders; running ffprobe where it is installed).
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    // Float buffers and finite-difference gradient checks shared by the neural test targets.
    .target(name: "NeuralTestSupport", dependencies: ["NeuralCore"], path: "Tests/NeuralTestSupport"),
    .testTarget(
        name: "PlatformTests",
        dependencies: ["Platform"],
        path: "Tests/PlatformTests"
    ),
    .testTarget(
        name: "MediaFormatsTests",
        dependencies: ["MediaFormats", "TestSupport"],
        path: "Tests/MediaFormatsTests"
    ),
    .testTarget(
        name: "AudioFrontEndTests",
        dependencies: ["AudioFrontEnd", "MediaFormats"],
        path: "Tests/AudioFrontEndTests",
        resources: [.copy("Fixtures")]
    ),
    .testTarget(
        name: "ApplianceTests",
        dependencies: ["Appliance", "Capture", "ControlPlane", "Display", "MediaFormats", "PhantomScan", "Platform", "TestSupport",
                       "ShowTellModel", "InferenceEngine", "NeuralCore", "CAllocCounter"],
        path: "Tests/ApplianceTests"
    ),
    .testTarget(
        name: "ApplianceServiceTests",
        dependencies: ["Appliance", "ControlPlane", "Capture", "Display", "MediaFormats", "Platform", "PhantomScan",
                       "ShowTellModel", "NeuralCore", "TestSupport"],
        path: "Tests/ApplianceServiceTests"
    ),
    .testTarget(
        name: "DisplayTests",
        dependencies: ["Display", "MediaFormats"],
        path: "Tests/DisplayTests"
    ),
    .testTarget(
        name: "CaptureTests",
        dependencies: ["Capture", "MediaFormats", "CSystemShims"],
        path: "Tests/CaptureTests"
    ),
    .testTarget(
        name: "ControlPlaneTests",
        dependencies: ["ControlPlane", "Platform", "CAllocCounter"],
        path: "Tests/ControlPlaneTests"
    ),
    .testTarget(
        name: "PhantomScanTests",
        dependencies: ["PhantomScan", "MediaFormats", "AudioFrontEnd", "Platform", "TestSupport"],
        path: "Tests/PhantomScanTests"
    ),
    .testTarget(
        name: "PrepTests",
        dependencies: ["Prep", "PrepEvaluation", "GroundTruth", "MediaFormats", "PhantomScan", "NeuralCore", "AudioFrontEnd", "TestSupport"],
        path: "Tests/PrepTests"
    ),
    .testTarget(
        name: "NeuralCoreTests",
        dependencies: ["NeuralCore", "NeuralTestSupport"],
        path: "Tests/NeuralCoreTests",
        resources: [.copy("Fixtures")]
    ),
    .testTarget(
        name: "InferenceEngineTests",
        dependencies: ["InferenceEngine", "ShowTellModel", "NeuralCore", "CInt8Kernels", "CAllocCounter", "TestSupport"],
        path: "Tests/InferenceEngineTests"
    ),
    .testTarget(
        name: "FieldDiagnosticsTests",
        dependencies: ["FieldDiagnostics", "ControlPlane", "ShowTellModel", "NeuralCore", "Platform", "TestSupport"],
        path: "Tests/FieldDiagnosticsTests"
    ),
    .testTarget(
        name: "EvaluationTests",
        dependencies: ["Evaluation", "GroundTruth", "MediaFormats", "NeuralCore", "ShowTellModel", "PhantomScan", "TestSupport"],
        path: "Tests/EvaluationTests",
        resources: [.copy("Fixtures")]
    ),
    .testTarget(
        name: "TrainingTests",
        dependencies: ["Training", "NeuralCore", "ShowTellModel", "NeuralTestSupport", "TestSupport"],
        path: "Tests/TrainingTests"
    ),
    .testTarget(
        name: "ShowTellModelTests",
        dependencies: ["ShowTellModel", "NeuralCore", "CAllocCounter", "TestSupport"],
        path: "Tests/ShowTellModelTests"
    ),
]

// Fuzz targets (Tests/Fuzz): the parsers' fuzz calls are a library (FuzzTargets) that a plain
// test replays the corpora through; the libFuzzer executable has no main of its own (the
// fuzzer runtime has it), so it is in the package only when SHOWTELL_FUZZ=1: ./build.sh fuzz
// builds it with --sanitize=fuzzer into .build-fuzz, the normal build never sees it.
let fuzzTargets: [Target] = [
    .target(
        name: "FuzzTargets",
        dependencies: ["MediaFormats", "NeuralCore", "ShowTellModel", "ControlPlane"],
        path: "Tests/Fuzz/Targets"
    ),
    .testTarget(
        name: "FuzzRegressionTests",
        dependencies: ["FuzzTargets"],
        path: "Tests/Fuzz/RegressionTests"
    ),
] + (Context.environment["SHOWTELL_FUZZ"] == "1" ? [
    .executableTarget(name: "showtell-fuzz", dependencies: ["FuzzTargets"], path: "Tests/Fuzz/Main"),
] : [])

let package = Package(
    name: "ShowTell",
    products: [
        .executable(name: "showtell", targets: ["showtell"]),
        .executable(name: "showtelld", targets: ["showtelld"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: cLibraries + cTargets + swiftModules + executables + testTargets + fuzzTargets
)
