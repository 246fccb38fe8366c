import MediaFormats

/// WAV: the recorder's and replay's audio reader, both strict and with truncation recovery.
@Sendable func fuzzWAV(_ bytes: [UInt8]) {
    _ = try? WAVFile.decode(bytes)
    if let (clip, _) = try? WAVFile.decode(bytes, recoverTruncated: true) { _ = clip.mixedToMono() }
}
