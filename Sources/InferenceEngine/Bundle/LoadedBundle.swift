import ShowTellModel

/// Any model bundle, float32 or int8 as its manifest says, loaded and verified (checksums,
/// tensors, golden inference) and ready to serve: float on ShowTellInference, int8 on the
/// planned graph with the best kernel family this CPU runs. The one loader the appliance,
/// `model verify` and the evaluation harness share.
public enum LoadedBundle {
    /// `threads`: the float backbones' own loops and OpenBLAS's (process-wide) thread count;
    /// the int8 engine runs on the calling thread.
    public static func load(directory: String, threads: Int = 1) throws(ModelBundleError) -> (manifest: ModelManifest, branches: any ShowTellBranches) {
        let manifest = try ModelBundle.readManifest(directory: directory)
        ShowTellNetwork.setBLASThreads(threads)
        if manifest.precision == "int8" {
            let (manifest, inference) = try Int8Bundle.load(directory: directory)
            return (manifest, inference)
        }
        let bundle = try ModelBundle.load(directory: directory)
        let inference = ShowTellInference(network: bundle.network, threads: threads)
        try bundle.verifyGolden(inference)
        return (bundle.manifest, inference)
    }
}
