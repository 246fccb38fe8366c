import Platform
import MediaFormats

/// What the people in the room say. Sonographer remarks about the screen name the anatomy
/// that is visible (AnatomyName vocabulary, spelled as spoken); everything else is talk
/// unrelated to the image, which the appliance must learn to ignore. ASCII only, numbers
/// spelled out (espeak word positions are character positions).
enum NarrationPhrases {
    /// A remark naming `anatomy`, in the words typical of `plane` when there are some. In a
    /// close-up the other structures it was framed away from are not named with it.
    static func remark(on anatomy: String, plane: PlaneClass, closeUp: Bool = false, _ random: inout RandomSource) -> String {
        let framedAway = closeUp ? PlaneAnatomy.closeUpTargets(for: plane).filter { $0 != anatomy }.map(AnatomyWording.spoken) : []
        let specific = planeRemarks(plane).filter { remark in
            remark.anatomy == anatomy && !framedAway.contains { remark.text.contains($0) }
        }.map(\.text)
        if !specific.isEmpty && random.chance(0.6) { return random.pick(specific) }
        let templates = AnatomyWording.isPlural(anatomy) ? pluralTemplates : singularTemplates
        return random.pick(templates).replacingPlaceholder(with: AnatomyWording.spoken(anatomy))
    }

    /// The shortest way to name it, when a hold leaves little time.
    static func shortRemark(on anatomy: String, _ random: inout RandomSource) -> String {
        random.pick(["the {a}.", "{a}.", "and the {a}."]).replacingPlaceholder(with: AnatomyWording.spoken(anatomy))
    }

    /// Said while the image is frozen: measuring, taking a picture.
    /// Returns the remark and the anatomy it names (nil when it names none).
    static func freezeRemark(on anatomy: String?, _ random: inout RandomSource) -> (text: String, names: String?) {
        if let anatomy, random.chance(0.5) {
            let text = random.pick([
                "measuring the {a} now.", "let me just measure the {a}.", "taking a picture of the {a}.",
                "I'll freeze it there, good view of the {a}.", "just checking the {a}.",
            ]).replacingPlaceholder(with: AnatomyWording.spoken(anatomy))
            return (text, anatomy)
        }
        return (random.pick([
            "let me just measure that.", "I'll freeze it there.", "just taking a picture.",
            "hold still for me a moment.", "that's a good picture.", "measuring now.", "perfect, keep that one.",
        ]), nil)
    }

    /// Said while searching, before the next plane is found (the anatomy is not yet on screen).
    static func searchRemark(towards anatomy: String?, _ random: inout RandomSource) -> String {
        if let anatomy, random.chance(0.6) {
            return random.pick(["now let's look at the {a}.", "trying to find the {a}.", "next, the {a}."])
                .replacingPlaceholder(with: AnatomyWording.spoken(anatomy))
        }
        return random.pick(["let me move round a bit.", "just moving the probe.", "baby has turned, one moment.",
                            "okay, let's see."])
    }

    /// A conversation turn or short exchange unrelated to the screen, opened by `speaker`.
    static func chatter(by speaker: NarrationSpeaker, _ random: inout RandomSource) -> [(NarrationSpeaker, String)] {
        switch speaker {
        case .sonographer:
            return [(.sonographer, random.pick(sonographerChat))]
        case .parent:
            if random.chance(0.45) { return random.pick(parentExchanges) }
            return [(.parent, random.pick(parentChat))]
        case .colleague:
            if random.chance(0.5) { return random.pick(colleagueExchanges) }
            return [(.colleague, random.pick(colleagueChat))]
        }
    }

    // MARK: - Banks

    private static let singularTemplates = [
        "there's the {a}.", "that's the {a}.", "here is the {a}.", "and here is the {a}.", "looking at the {a} now.",
        "the {a} looks good.", "the {a} looks normal.", "nice view of the {a}.", "we can see the {a} here.",
        "so this is the {a}.", "okay, the {a}.", "good, that's the {a}.", "you can see the {a} there.",
    ]

    private static let pluralTemplates = [
        "there are the {a}.", "those are the {a}.", "here are the {a}.", "looking at the {a} now.",
        "the {a} look good.", "the {a} look normal.", "nice view of the {a}.", "we can see the {a} here.",
        "okay, the {a}.", "you can see the {a} there.",
    ]

    private struct PlaneRemark {
        let anatomy: String
        let text: String
    }

    private static func planeRemarks(_ plane: PlaneClass) -> [PlaneRemark] {
        switch plane {
        case .fourChamber: [
            .init(anatomy: "heart", text: "there's the heart."), .init(anatomy: "heart", text: "four chamber view of the heart."),
            .init(anatomy: "heart", text: "the heart, all four chambers, lovely."), .init(anatomy: "heart", text: "heart is beating nicely."),
            .init(anatomy: "ventricle", text: "left and right ventricle look equal."),
            .init(anatomy: "atrium", text: "there's the left atrium."),
        ]
        case .lvot: [
            .init(anatomy: "aorta", text: "there's the aorta coming off the left side."),
            .init(anatomy: "aorta", text: "left outflow tract, the aorta."),
            .init(anatomy: "ventricle", text: "outflow from the left ventricle."),
            .init(anatomy: "heart", text: "still on the heart, the outflow tract."),
        ]
        case .rvot: [
            .init(anatomy: "pulmonary_artery", text: "there's the pulmonary artery."),
            .init(anatomy: "pulmonary_artery", text: "right outflow, pulmonary artery crossing over."),
            .init(anatomy: "ventricle", text: "right ventricle outflow looks fine."),
        ]
        case .threeVesselTrachea: [
            .init(anatomy: "trachea", text: "three vessel and trachea view."),
            .init(anatomy: "aorta", text: "three vessels, aorta and pulmonary artery."),
            .init(anatomy: "trachea", text: "there's the trachea next to the arch."),
        ]
        case .brainTransventricular: [
            .init(anatomy: "skull", text: "nice round skull."), .init(anatomy: "skull", text: "head measurement, the skull looks good."),
            .init(anatomy: "ventricles_brain", text: "the ventricles in the brain look normal."),
        ]
        case .brainTranscerebellar: [
            .init(anatomy: "cerebellum", text: "there's the cerebellum."),
            .init(anatomy: "cerebellum", text: "back of the head, cerebellum looks normal."),
            .init(anatomy: "skull", text: "skull shape is fine."),
        ]
        case .abdomen: [
            .init(anatomy: "stomach", text: "that's the stomach bubble."), .init(anatomy: "stomach", text: "there's the stomach, nice and full."),
            .init(anatomy: "umbilical_vein", text: "umbilical vein going into the liver."),
            .init(anatomy: "abdomen", text: "tummy measurement, the abdomen."),
        ]
        case .femur: [
            .init(anatomy: "femur", text: "here is the femur, measuring nicely."), .init(anatomy: "femur", text: "thigh bone, the femur."),
            .init(anatomy: "femur", text: "femur length looks fine."),
        ]
        case .kidneys: [
            .init(anatomy: "kidneys", text: "both kidneys."), .init(anatomy: "kidneys", text: "there are the two kidneys."),
            .init(anatomy: "kidneys", text: "kidneys either side of the spine."),
        ]
        case .lips: [
            .init(anatomy: "lips", text: "looking at the lips."), .init(anatomy: "lips", text: "upper lip is fine, the lips look normal."),
            .init(anatomy: "nose", text: "nose and lips."),
        ]
        case .profile: [
            .init(anatomy: "face", text: "nice profile of the face."), .init(anatomy: "nose", text: "there's the little nose."),
            .init(anatomy: "face", text: "the face, side view."),
        ]
        case .spineCoronal, .spineSagittal: [
            .init(anatomy: "spine", text: "the spine looks good."), .init(anatomy: "spine", text: "all along the spine."),
            .init(anatomy: "spine", text: "spine is nice and straight."),
        ]
        case .background: []
        }
    }

    private static let sonographerChat = [
        "you're doing great.", "about twenty weeks.", "just a little more gel.", "this might feel a bit cold.",
        "could you turn on your side a little?", "baby is moving a lot today.", "nearly done now.",
        "everything looks normal so far.", "just breathe normally.", "baby is lying head down.",
        "sorry, I need to press a bit harder.", "you can relax for a moment.", "the measurements match twenty weeks.",
        "is your partner coming in?", "how have you been feeling?",
    ]

    private static let parentChat = [
        "oh wow.", "that's amazing.", "it's so small.", "can we get a picture?", "is everything okay?",
        "I can see it moving.", "my mum will love this.", "does it hurt the baby?",
    ]

    private static let parentExchanges: [[(NarrationSpeaker, String)]] = [
        [(.parent, "is everything okay?"), (.sonographer, "yes, everything looks fine so far.")],
        [(.parent, "can you tell if it's a boy or a girl?"), (.sonographer, "we can have a look at the end if you like.")],
        [(.parent, "is it moving?"), (.sonographer, "yes, baby is very active today.")],
        [(.parent, "how big is it now?"), (.sonographer, "about the size of a banana.")],
        [(.parent, "can we have a print out?"), (.sonographer, "of course, I'll print some at the end.")],
    ]

    private static let colleagueChat = [
        "sorry, is room three free?", "the next patient is here.", "I'll be in the office.",
        "the printer isn't working again.", "has anyone seen the spare probe cover?",
    ]

    private static let colleagueExchanges: [[(NarrationSpeaker, String)]] = [
        [(.colleague, "can I borrow the gel?"), (.sonographer, "yes, take it.")],
        [(.colleague, "coffee after this one?"), (.sonographer, "give me ten minutes.")],
        [(.colleague, "did you see the new rota?"), (.sonographer, "not yet, later.")],
    ]
}

extension String {
    fileprivate func replacingPlaceholder(with value: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: "{a}") {
            result += rest[..<range.lowerBound]
            result += value
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
