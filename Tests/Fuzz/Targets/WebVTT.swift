import MediaFormats

/// WebVTT transcripts (session folders, prep output).
@Sendable func fuzzWebVTT(_ bytes: [UInt8]) {
    _ = try? WebVTT.parse(String(decoding: bytes, as: UTF8.self))
}
