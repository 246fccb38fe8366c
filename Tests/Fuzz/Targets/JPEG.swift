import MediaFormats

/// JPEG through libjpeg: gray (the model's input) and RGB (the screen).
@Sendable func fuzzJPEG(_ bytes: [UInt8]) {
    _ = try? JPEGCodec.decode(bytes, components: 1)
    _ = try? JPEGCodec.decode(bytes, components: 3)
}
