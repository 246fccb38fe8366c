import ControlPlane

/// The daemon's TOML configuration (as text, the way ApplianceConfig.load reads the file), and
/// the same bytes as a `--set key=value` override.
@Sendable func fuzzConfig(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? ApplianceConfig.parse(text, source: "fuzz.toml")
    _ = try? ApplianceConfig.parse("", source: "fuzz.toml", overrides: [text])
}
