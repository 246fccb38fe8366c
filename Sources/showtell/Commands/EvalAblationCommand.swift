import ArgumentParser
import Evaluation
import Foundation
import Platform

/// `showtell eval ablation`: the paper's ablation study end to end. Trains every step's
/// variant with one recipe, fine-tunes each encoder (and random and the supervised bound) on
/// both downstream tasks, scores the bundles' localisation with its control, and writes the
/// report. Every part resumes: a finished training is marked `runs/NAME/finished`, a killed
/// one continues from its checkpoints, and the tasks skip their finished folds.
struct EvalAblationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ablation",
        abstract: "Train every ablation step with one recipe and evaluate them all: plane detection, saliency, localisation, report (Figure 6, Table 1).",
        discussion: """
        Steps, in the paper's order: \(AblationStep.paperOrder.map(\.name).joined(separator: ", ")). \
        Training options after `--` replace the recipe (default: the shipped model's recipe, \
        \(AblationStep.shippedRecipe.joined(separator: " "))). Runs go to --out/runs/NAME; \
        the report to --out/report.md.
        """
    )

    @Option(help: "Prepared training dataset (showtell prep): what every variant trains on.") var trainData: String
    @Option(help: "Labelled dataset the encoders and bundles are judged on (scan sessions).") var dataset: String
    @Option(help: "Labelled dataset for the supervised upper bound's pretraining (must not hold judged scans); without it the bound is left out.")
    var supervised: String?
    @Option(help: "Output folder of the evaluation.") var out: String
    @Option(help: "Steps to run, comma-separated (default: all).") var steps: String?
    @Option(help: "Threads for training and evaluation.") var threads = 2
    @Argument(parsing: .postTerminator, help: "showtell train options (after --) replacing the recipe.") var recipe: [String] = []

    var chosenSteps: [AblationStep] {
        get throws {
            guard let steps else { return AblationStep.paperOrder }
            return try steps.split(separator: ",").map { name in
                guard let step = AblationStep.named(String(name)) else {
                    throw ValidationError("--steps: no step \"\(name)\"; steps are \(AblationStep.paperOrder.map(\.name).joined(separator: ", "))")
                }
                return step
            }
        }
    }

    func validate() throws {
        _ = try chosenSteps
        guard FileIO.exists(trainData + "/prep.json") else { throw ValidationError("--train-data \(trainData): no prep.json; run showtell prep first") }
        if try chosenSteps.contains(where: { $0.name == "supervised" }), supervised == nil {
            throw ValidationError("the supervised step needs --supervised DATASET (labelled scans other than --dataset), or leave it out with --steps")
        }
    }

    func run() throws {
        let steps = try chosenSteps
        let common = ["--out", out, "--threads", String(threads)]
        for step in steps {
            guard let variant = step.variant else { continue }
            let run = out + "/runs/" + step.name
            guard !FileIO.exists(run + "/finished") else { continue }
            var arguments = [trainData, "--variant", variant, "--out", run, "--threads", String(threads)]
                + step.trainingArguments(recipe: recipe.isEmpty ? AblationStep.shippedRecipe : recipe)
            if FileIO.exists(run + "/checkpoint-heads.safetensors") { arguments.append("--resume") }
            Console.out("== train \(step.name): showtell train \(arguments.joined(separator: " "))\n")
            var train = try TrainCommand.parse(arguments)
            try train.run()
            try FileIO.writeAtomically(run + "/finished", Array("showtell train \(arguments.joined(separator: " "))\n".utf8))
        }
        for task in ["planes", "saliency"] {
            for step in steps {
                let initialisation: String
                switch step.name {
                case "random": initialisation = "random"
                case "supervised": initialisation = "supervised:" + supervised!
                default: initialisation = out + "/runs/" + step.name
                }
                Console.out("== \(task) \(step.name)\n")
                let arguments = ["--dataset", dataset, "--init", initialisation, "--name", step.name] + common
                if task == "planes" {
                    var command = try EvalPlanesCommand.parse(arguments)
                    try command.run()
                } else {
                    var command = try EvalSaliencyCommand.parse(arguments)
                    try command.run()
                }
            }
        }
        // Localisation needs a bundle: the variants with audio and spatial fusion write one.
        for step in steps where step.variant != nil && FileIO.exists(out + "/runs/\(step.name)/bundle/manifest.json") {
            for control in [false, true] {
                let name = step.name + (control ? "-control" : "")
                guard !FileIO.exists(out + "/localise/\(name)/result.json") else { continue }
                Console.out("== localise \(name)\n")
                var command = try EvalLocaliseCommand.parse(["--dataset", dataset, "--bundle", out + "/runs/\(step.name)/bundle", "--name", name]
                                                            + common + (control ? ["--mismatched-audio"] : []))
                try command.run()
            }
        }
        print("report: \(try EvaluationReport.write(out: out))")
    }
}
