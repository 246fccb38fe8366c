import CPocketSphinx
import Glibc

/// One pocketsphinx decoder and the C strings its configuration points into, freed together:
/// the setup and utterance plumbing that the LM recogniser and the keyword spotter share.
/// `files` are checked readable first, so a missing model names the file and the package.
final class PocketSphinxDecoder {
    let pointer: OpaquePointer
    private var arguments: [UnsafeMutablePointer<CChar>?]

    /// - options: pocketsphinx command-line options ("-hmm", DIR, ...); the sample rate and a
    ///   silent log are added here.
    /// - files: (what, path) pairs that must be readable.
    /// - purpose: names the decoder in errors ("keyword spotting").
    init(options: [String], files: [(what: String, path: String)], purpose: String) throws(SpeechRecognizer.Failure) {
        for (what, path) in files where access(path, R_OK) != 0 {
            throw SpeechRecognizer.Failure(message: "\(what) \(path) is not readable (Debian's model: install pocketsphinx-en-us with ./build.sh deps; an adapted one: ./build.sh adapt-asr)")
        }
        err_set_logfp(nil)
        let all = options + ["-samprate", String(SpeechRecognizer.sampleRate), "-logfn", "/dev/null"]
        arguments = all.map { strdup($0) }
        let config = arguments.withUnsafeMutableBufferPointer { buffer in
            cmd_ln_parse_r(nil, ps_args(), Int32(buffer.count), buffer.baseAddress, 1)
        }
        guard let config else {
            for argument in arguments { free(argument) }
            throw SpeechRecognizer.Failure(message: "pocketsphinx rejected the \(purpose) options \(all)")
        }
        guard let made = ps_init(config) else {
            cmd_ln_free_r(config)
            for argument in arguments { free(argument) }
            throw SpeechRecognizer.Failure(message: "ps_init failed for \(purpose) (options \(all))")
        }
        cmd_ln_free_r(config)
        pointer = made
    }

    /// The files of a PTM acoustic model folder that pocketsphinx needs: Debian's keeps its mixture
    /// weights 8-bit quantised (`sendump`), an adapted one (`adapt_acoustic_model.py`) as floats.
    static func acousticModelFiles(_ folder: String) -> [(what: String, path: String)] {
        let weights = access(folder + "/sendump", R_OK) == 0 ? "sendump" : "mixture_weights"
        return ["mdef", "means", "variances", "transition_matrices", weights].map { ("acoustic model", folder + "/" + $0) }
    }

    deinit {
        ps_free(pointer)
        for argument in arguments { free(argument) }
    }

    /// Runs one utterance (16 kHz) through the decoder; read its segments with `ps_seg_iter`.
    func decodeUtterance(_ samples: UnsafeBufferPointer<Int16>, purpose: String) throws(SpeechRecognizer.Failure) {
        guard ps_start_utt(pointer) >= 0 else { throw SpeechRecognizer.Failure(message: "ps_start_utt failed (\(purpose))") }
        if samples.count > 0, ps_process_raw(pointer, samples.baseAddress, samples.count, 0, 1) < 0 {
            _ = ps_end_utt(pointer)
            throw SpeechRecognizer.Failure(message: "ps_process_raw failed (\(purpose))")
        }
        guard ps_end_utt(pointer) >= 0 else { throw SpeechRecognizer.Failure(message: "ps_end_utt failed (\(purpose))") }
    }
}
