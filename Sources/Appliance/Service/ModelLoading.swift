import ControlPlane
import ShowTellModel

/// Loads `config.model.bundle` (manifest.json + model.safetensors, verified by
/// `ModelBundle.load`: size, SHA-256, every tensor's shape, no NaN); nil when no bundle is
/// configured (`""` or `"none"`). A failure is a `ModelBundleError` naming the file to fix,
/// with a short fixed `statusReason` for the status bar ("NO MODEL: CORRUPT"); the daemon
/// then runs without a model (live image, no heatmap), it never exits for it.
/// Called at start and by `reload-model`, on the control side: it allocates and reads
/// files, so never on the loop's thread.
public func loadModel(_ config: ApplianceConfig) throws(ModelBundleError) -> LocalisationModel? {
    let directory = config.model.bundle
    if directory.isEmpty || directory == "none" { return nil }
    let bundle = try ModelBundle.load(directory: directory)
    // One thread: the model runs on the loop's thread, beside the capture thread(s).
    return NetworkLocalisationModel(bundle: bundle, threads: 1)
}
