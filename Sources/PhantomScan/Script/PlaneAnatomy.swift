import MediaFormats

/// Which named structures (AnatomyName vocabulary) each standard plane shows. The timeline
/// tells the narrator these; the renderer draws and labels exactly these.
enum PlaneAnatomy {
    static func names(for plane: PlaneClass) -> [String] {
        switch plane {
        case .fourChamber: return ["heart", "ventricle", "atrium", "spine"]
        case .lvot: return ["heart", "ventricle", "aorta", "spine"]
        case .rvot: return ["heart", "ventricle", "pulmonary_artery", "aorta", "spine"]
        case .threeVesselTrachea: return ["pulmonary_artery", "aorta", "trachea", "spine"]
        case .brainTransventricular: return ["skull", "ventricles_brain"]
        case .brainTranscerebellar: return ["skull", "cerebellum"]
        case .abdomen: return ["abdomen", "stomach", "umbilical_vein", "spine", "ribs"]
        case .femur: return ["femur"]
        case .kidneys: return ["kidneys", "spine", "abdomen"]
        case .lips: return ["lips", "nose"]
        case .profile: return ["face", "nose", "lips"]
        case .spineCoronal, .spineSagittal: return ["spine"]
        case .background: return []
        }
    }

    /// Structures of a plane that are always on screen together in its standard view, with
    /// masks apart: a sonographer zooms onto one of them to look closer (the lips for a
    /// cleft, the stomach bubble). Without such close-ups no learner that reads only the
    /// picture and the voice can tell which of them a word names.
    static func closeUpTargets(for plane: PlaneClass) -> [String] {
        switch plane {
        case .lips, .profile: return ["lips", "nose"]
        case .abdomen: return ["stomach", "umbilical_vein", "ribs"]
        default: return []
        }
    }
}
