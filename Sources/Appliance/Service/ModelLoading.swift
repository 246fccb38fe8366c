import ControlPlane
import InferenceEngine
import ShowTellModel

/// Loads `config.model.bundle`, float32 or int8 (manifest.json + model.safetensors, verified:
/// size, SHA-256, every tensor's shape, no NaN; then the golden inference as `showtell model
/// verify` runs it: finite outputs equal to the manifest's, which catches finite but absurd
/// weights that would overflow in the loop); nil when no bundle is configured (`""` or
/// `"none"`). A failure is a `ModelBundleError` naming the file to fix, with a short fixed
/// `statusReason` for the status bar ("NO MODEL: CORRUPT"); the daemon then runs without a
/// model (live image, no heatmap), it never exits for it.
/// Called at start and by `reload-model`, on the control side: it allocates and reads
/// files, so never on the loop's thread.
public func loadModel(_ config: ApplianceConfig) throws(ModelBundleError) -> LocalisationModel? {
    let directory = config.model.bundle
    if directory.isEmpty || directory == "none" { return nil }
    // The model runs on the loop's thread (plus model.threads - 1 helpers), beside the capture thread(s).
    return try BundleLocalisationModel.load(directory: directory, threads: config.model.threads)
}
