import ControlPlane

/// `showtell selftest`: every check, in the order a field engineer reads them (the box, the
/// kernels, the configuration, the model, the devices, disk, clock, temperature).
public enum SelfTest {
    public struct Options: Sendable {
        public var configPath = ApplianceConfig.defaultPath
        /// Overrides `model.bundle` from the configuration.
        public var modelBundle: String?
        /// Where free space matters (state, recordings).
        public var statePath = "/var/lib/showtell"
        public var thermalRoot = "/sys/class/thermal"
        public init() {}
    }

    public static func run(_ options: Options, version: String) -> CheckReport {
        var checks = [HostChecks.cpu(), KernelChecks.openBLASCore(), KernelChecks.sgemmSelfCheck(), KernelChecks.int8Kernels()]
        let (configCheck, config) = ApplianceChecks.configuration(path: options.configPath)
        checks.append(configCheck)
        checks += ApplianceChecks.model(bundle: options.modelBundle ?? config.model.bundle)
        checks += ApplianceChecks.devices(config)
        checks.append(HostChecks.disk(path: options.statePath))
        checks.append(HostChecks.timeSync())
        checks.append(HostChecks.temperature(thermalRoot: options.thermalRoot))
        return CheckReport(version: version, checks: checks)
    }
}
