import Foundation
import Testing
@testable import Prep

/// The keyword dictionary: parsing, clear errors with file:line, and matching on word lists.
struct KeywordTests {
    static let sample = """
        [anatomy]
        heart = ["heart", "four chamber", "four chamber view"]
        stomach = ["stomach", "Tummy"]
        ventricle = ["left ventricle", "ventricle"]

        [pronunciations]
        cerebellum = "S EH R AH B EH L AH M"
        """

    @Test func parsesFormsInFileOrderNormalised() throws {
        let dictionary = try KeywordDictionary.parse(Self.sample)
        #expect(dictionary.anatomy.map(\.name) == ["heart", "stomach", "ventricle"])
        #expect(dictionary.anatomy[1].forms == ["stomach", "tummy"])
        #expect(dictionary.pronunciations["cerebellum"] == ["S EH R AH B EH L AH M"])
        #expect(dictionary.sha256.count == 64)
    }

    @Test func syntaxErrorNamesFileAndLine() {
        let text = "[anatomy]\nheart = [\"heart\"]\nstomach = [\"stomach\"\n"
        #expect {
            _ = try KeywordDictionary.parse(text, path: "models/keywords.toml")
        } throws: { error in
            let failure = error as! KeywordDictionary.Failure
            return failure.path == "models/keywords.toml" && failure.line != nil && failure.line! >= 3
                && "\(failure)".hasPrefix("models/keywords.toml:")
        }
    }

    @Test func aFormListedForTwoAnatomiesIsRejected() {
        #expect(throws: KeywordDictionary.Failure.self) {
            _ = try KeywordDictionary.parse("[anatomy]\nheart = [\"heart\"]\nstomach = [\"Heart\"]\n")
        }
        #expect(throws: KeywordDictionary.Failure.self) { _ = try KeywordDictionary.parse("[anatomy]\nheart = \"heart\"\n") }
        #expect(throws: KeywordDictionary.Failure.self) { _ = try KeywordDictionary.parse("[words]\nheart = [\"heart\"]\n") }
    }

    @Test func longestFormWinsAndWordsAreConsumed() throws {
        let matcher = KeywordMatcher(try KeywordDictionary.parse(Self.sample))
        let words = ["here", "is", "the", "Four", "chamber", "view", "and", "the", "left", "ventricle", "tummy,", "four", "<unk>"]
        let matches = matcher.matches(words)
        #expect(matches == [
            .init(range: 3..<6, anatomy: "heart"),
            .init(range: 8..<10, anatomy: "ventricle"),
            .init(range: 10..<11, anatomy: "stomach"),
        ])
        #expect(matcher.matches([]).isEmpty)
        #expect(matcher.matches(["hearts"]).isEmpty)
    }

    @Test func repositoryDictionaryCoversTheAnatomyVocabulary() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../models/keywords.toml").path
        let dictionary = try KeywordDictionary.load(path)
        let names = Set(dictionary.anatomy.map(\.name))
        // The canonical names are the labels' anatomy vocabulary (MediaFormats.AnatomyName).
        let vocabulary: Set<String> = ["heart", "ventricle", "atrium", "aorta", "pulmonary_artery", "trachea", "skull",
                                       "ventricles_brain", "cerebellum", "stomach", "umbilical_vein", "abdomen", "femur",
                                       "kidneys", "bladder", "lips", "nose", "face", "spine", "ribs"]
        #expect(names == vocabulary)
        let matcher = KeywordMatcher(dictionary)
        #expect(matcher.matches(["the", "tummy"]).first?.anatomy == "stomach")
        #expect(matcher.matches(["four", "chamber"]).first?.anatomy == "heart")
    }
}
