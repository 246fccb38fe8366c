// showtelld: the appliance daemon (capture -> infer -> display). The real-time loop lands
// with the appliance issue; until then it says so and exits non-zero, so systemd does not
// mistake it for a healthy service.
import Glibc
import Platform

Console.error("showtelld: the real-time appliance loop is not built yet (see README, 'Status')\n")
exit(2)
