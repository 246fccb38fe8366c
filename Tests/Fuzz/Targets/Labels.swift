import MediaFormats

/// labels.jsonl: per-frame ground truth of a session.
@Sendable func fuzzLabels(_ bytes: [UInt8]) {
    _ = try? LabelsFile.decode(bytes)
}
