// showtelld: the appliance daemon (capture -> infer -> display), started by systemd
// (systemd/showtelld.service). All the work is in Appliance's ApplianceService; this file
// reads the command line and the configuration and maps the outcome to an exit status.
import Appliance
import ControlPlane
import Glibc
import Platform

let startedAt = MonotonicClock.nanoseconds()
let logger = Logger()  // also makes stdout line-buffered for journald

let options: DaemonOptions
do {
    options = try DaemonOptions(arguments: Array(CommandLine.arguments.dropFirst()))
} catch .help {
    Console.out(DaemonOptions.usage)
    exit(0)
} catch {
    Console.error("showtelld: \(error)\n")
    exit(2)
}

// Before any thread starts, so SIGTERM reaches the handler and not the default action.
do { try ShutdownSignal.shared.install() } catch {
    logger.error("signal_handler_failed", ["error": error])
    exit(1)
}

let config: ApplianceConfig
do {
    config = try ApplianceConfig.load(path: options.configPath, overrides: options.overrides,
                                      fileIsOptional: !options.configIsExplicit)
} catch {
    for problem in error.problems { logger.error("config", ["problem": problem.description]) }
    exit(1)
}
logger.info("starting", ["config": options.configPath + (FileIO.exists(options.configPath) ? "" : " (missing: built-in defaults)"),
                         "overrides": options.overrides.joined(separator: " "), "pid": getpid()])

let notifier: SystemdNotifier
do { notifier = try SystemdNotifier() } catch {
    logger.error("sd_notify_failed", ["error": error])
    exit(1)
}
exit(ApplianceService(config: config, options: options, logger: logger, notifier: notifier, startedAt: startedAt).run())
