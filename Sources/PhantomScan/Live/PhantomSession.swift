/// What the live phantom (`phantom:SEED` in the appliance's config) plays: the same script,
/// renderer and seed as `showtell synth`. The appliance wraps these in its video and audio
/// sources, so this module stays a generator that knows nothing of capture.
public enum PhantomSession {
    /// Length of the live phantom's script before it loops (its narration is made at start).
    public static let defaultMinutes = 3.0

    public static func timeline(seed: UInt64, minutes: Double = defaultMinutes) -> ScanTimeline {
        ScanScriptGenerator(seed: seed).timeline(duration: max(1, minutes * 60))
    }

    /// The script's narration (espeak-ng must be installed: the generator needs it, the
    /// appliance proper does not).
    public static func narration(seed: UInt64, minutes: Double = defaultMinutes) throws(NarrationError) -> Narration {
        guard NarrationGenerator.isAvailable else {
            throw NarrationError(message: "phantom audio needs espeak-ng (apt install espeak-ng); "
                                 + "use audio replay:SESSION_DIR or alsa:PCM instead")
        }
        return try NarrationGenerator().generate(timeline: timeline(seed: seed, minutes: minutes), seed: seed)
    }
}
