import ShowTellModel

/// Any model bundle, float32 or int8 as its manifest says, loaded and verified (checksums,
/// tensors, golden inference) and ready to serve: float on ShowTellInference, int8 on the
/// planned graph with the best kernel family this CPU runs. The one loader the appliance,
/// `model verify` and the evaluation harness share.
public enum LoadedBundle {
    /// `threads`: the float backbones' own loops and OpenBLAS's (process-wide) thread count;
    /// the int8 engine splits each layer across that many threads. A bundle trained with a live-image mask
    /// masks screen furniture from the first frames on (after the golden check, which runs
    /// on whole frames).
    public static func load(directory: String, threads: Int = 1) throws(ModelBundleError) -> (manifest: ModelManifest, branches: any ShowTellBranches) {
        let manifest = try ModelBundle.readManifest(directory: directory)
        ShowTellNetwork.setBLASThreads(threads)
        let loaded: (manifest: ModelManifest, branches: any ShowTellBranches)
        if manifest.precision == "int8" {
            let (int8Manifest, inference) = try Int8Bundle.load(directory: directory, threads: threads)
            loaded = (int8Manifest, inference)
        } else {
            let bundle = try ModelBundle.load(directory: directory)
            let inference = ShowTellInference(network: bundle.network, threads: threads)
            try bundle.verifyGolden(inference)
            loaded = (bundle.manifest, inference)
        }
        if let spec = loaded.manifest.inputs?.video.liveImageMask { loaded.branches.maskScreenFurniture(spec) }
        return loaded
    }
}
