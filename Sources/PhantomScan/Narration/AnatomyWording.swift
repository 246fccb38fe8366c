import MediaFormats

/// How a sonographer says each `AnatomyName`: the vocabulary's identifiers are spelled as
/// spoken words, and plural names take plural verbs.
enum AnatomyWording {
    static func spoken(_ name: String) -> String { AnatomyName.spoken(name) }

    static func isPlural(_ name: String) -> Bool {
        ["kidneys", "lips", "ribs", "ventricles_brain"].contains(name)
    }
}
