/// How a sonographer says each `AnatomyName`: the vocabulary's identifiers are spelled as
/// spoken words, and plural names take plural verbs.
enum AnatomyWording {
    static func spoken(_ name: String) -> String {
        switch name {
        case "pulmonary_artery": "pulmonary artery"
        case "ventricles_brain": "ventricles"
        case "umbilical_vein": "umbilical vein"
        default: name.replacingUnderscores()
        }
    }

    static func isPlural(_ name: String) -> Bool {
        ["kidneys", "lips", "ribs", "ventricles_brain"].contains(name)
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 })
    }
}
