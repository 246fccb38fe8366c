# Runs in the systemd guest at every boot (board-test.service, as root), from the 9p share.
# The stage is kept on the guest's disk: 0 = clean image: install the previous release, edit
# the configuration, upgrade to this one, reboot; 1 = after the reboot: the service, udev,
# hardening, watchdog, restarts, journald, socket, selftest, support bundle; then purge.
# Prints "CHECK name ok|FAILED" and "INFO ..." lines on the console for the host.
share=/mnt/share
state=/var/lib/board-test
mkdir -p "$state"
stage=$(cat "$state/stage" 2>/dev/null || echo 0)
check() { if [ "$2" = 0 ]; then echo "CHECK $1 ok"; else echo "CHECK $1 FAILED${3:+ ($3)}"; fi; }
info() { echo "INFO $*"; }
# wait_for SECONDS CONDITION: polls every 0.5 s.
wait_for() { _w=0; while [ $_w -lt $(($1 * 2)) ]; do eval "$2" && return 0; sleep 0.5; _w=$((_w + 1)); done; return 1; }
prop() { systemctl show -p "$1" --value showtelld.service; }
active() { [ "$(prop ActiveState)" = active ]; }
screendump() {  # NAME: the host grabs the screen; wait until it has
  echo "SCREENDUMP $1"; wait_for 20 "[ -e $share/screendump-$1.done ]"
}
echo "STAGE $stage"
info "boot: $(systemd-analyze 2>/dev/null | head -1)"

if [ "$stage" = 0 ]; then
  ! dpkg-query -W showtell >/dev/null 2>&1; check clean-image-has-no-showtell $?
  dpkg -i "$share/showtell-previous.deb" > "$state/dpkg-1.log" 2>&1; r=$?
  check dpkg-install-previous $r "$(tail -3 $state/dpkg-1.log)"
  wait_for 120 active; check service-started-by-postinst $? "$(prop ActiveState)/$(prop SubState)"
  # udev named the devices (the package's rules, reloaded and triggered by the postinst).
  [ -c "$(readlink -f /dev/showtell/grabber)" ] && v4l2-ctl -d /dev/showtell/grabber --info | grep -q vivid
  check udev-names-the-grabber $? "$(ls -l /dev/showtell 2>&1)"
  info "grabber: /dev/showtell/grabber -> $(readlink -f /dev/showtell/grabber)"
  grep -q "showtellmic" /proc/asound/cards; check udev-names-the-microphone-card $? "$(cat /proc/asound/cards)"
  # A site's edits to the conffile: the virtual board's devices.
  conf=/etc/showtell/showtell.toml
  sed -i -e 's/^width = .*/width = 640/' -e 's/^height = .*/height = 480/' -e 's/^pixel_format = .*/pixel_format = "YUYV"/' \
         -e 's|^source = "alsa:hw:CARD=showtellmic"|source = "alsa:hw:CARD=showtellmic,DEV=1"|' "$conf"
  echo "# edited on site" >> "$conf"
  dpkg -i "$share/showtell.deb" > "$state/dpkg-2.log" 2>&1; r=$?
  check dpkg-upgrade $r "$(tail -3 $state/dpkg-2.log)"
  grep -q "^# edited on site" "$conf" && grep -q '^pixel_format = "YUYV"' "$conf"; check upgrade-keeps-config-edits $?
  [ ! -e "$conf.dpkg-new" ] && [ ! -e "$conf.dpkg-dist" ]; check upgrade-no-conffile-prompt $?
  info "installed: $(dpkg-query -W -f='${Package} ${Version}' showtell)"
  wait_for 120 active; check service-restarted-after-upgrade $?
  echo 1 > "$state/stage"; sync
  info "rebooting"
  systemctl reboot
  exit 0
fi

if [ "$stage" = 1 ] && [ -e "$state/stage-1-begun" ]; then
  # Stage 1 began at an earlier boot and never finished: the guest rebooted on its own (a
  # panic, a watchdog). Say so and stop, instead of running the checks again forever.
  check no-unexpected-reboot 1 "stage 1 began at an earlier boot"
  systemctl poweroff
  exit 0
fi
if [ "$stage" = 1 ]; then
  touch "$state/stage-1-begun"; sync
  # After the reboot: systemd started it (Type=notify: active only after READY=1).
  wait_for 180 active; r=$?
  check ready-after-reboot $r "$(prop ActiveState)/$(prop SubState) $(prop Result)"
  info "active $(($(prop ActiveEnterTimestampMonotonic) / 1000)) ms after boot; STATUS=$(prop StatusText)"
  # The first start at boot succeeds: the display may come up (bochs probe, then udev's
  # permissions) after the daemon starts, which it waits out instead of exiting.
  [ "$(prop NRestarts)" = 0 ]; check started-at-boot-without-a-restart $? "NRestarts $(prop NRestarts): $(journalctl -b -u showtelld -o cat -p 3 | head -2 | tr '\n' ' ')"
  journalctl -b -u showtelld -o cat | grep -q "^ready"; check journal-has-ready $?
  pid=$(prop MainPID)
  # journald kept the daemon's <N> priority prefixes as PRIORITY: "ready" is notice (5).
  journalctl -b -u showtelld -o json --output-fields=PRIORITY,MESSAGE > "$state/journal.json"
  grep '"MESSAGE":"ready' "$state/journal.json" | grep -q '"PRIORITY":"5"'; check journald-priority-notice $?
  info "priorities in the unit's journal: $(grep -o '"PRIORITY":"[0-7]"' "$state/journal.json" | sort | uniq -c | tr -s ' \n' ' ')"
  wait_for 30 '[ "$(showtell status --json 2>/dev/null | grep -o "\"frames_in\":[0-9]*" | cut -d: -f2)" -gt 10 ]' 
  check frames-flowing $? "$(showtell status 2>&1 | head -3)"
  screendump running
  # Hardening. The service's mount namespace hides /home (ProtectHome=yes) ...
  uid=$(stat -c %u /proc/"$pid"); gid=$(stat -c %g /proc/"$pid")
  info "daemon runs as uid $uid ($(getent passwd "$uid" | cut -d: -f1)), gid $gid ($(getent group "$gid" | cut -d: -f1))"
  cat /home/engineer/notes.txt >/dev/null; check home-readable-outside $?
  out=$(nsenter -t "$pid" -m -S "$uid" -G "$gid" cat /home/engineer/notes.txt 2>&1); r=$?
  [ $r != 0 ]; check service-cannot-read-home $? ; info "in the service's namespace: cat /home/engineer/notes.txt -> $out"
  # ... and its device policy (DevicePolicy=closed + DeviceAllow) denies other devices even to root.
  cg=/sys/fs/cgroup$(cut -d: -f3 /proc/"$pid"/cgroup)
  out=$(sh -c "echo \$\$ > $cg/cgroup.procs && exec head -c 16 /dev/vda" 2>&1 >/dev/null); r=$?
  [ $r != 0 ] && echo "$out" | grep -q "Operation not permitted"; check service-cannot-open-disk $? "$out"
  info "in the service's cgroup: head -c 16 /dev/vda -> $out"
  sh -c "echo \$\$ > $cg/cgroup.procs && exec v4l2-ctl -d /dev/showtell/grabber --info" >/dev/null 2>&1
  check service-may-open-grabber $?
  # The control socket: only its group (showtell) may talk to it.
  sock=/run/showtell/control.sock
  info "socket: $(stat -c '%A %U:%G' $sock), directory $(stat -c '%A %U:%G' /run/showtell)"
  [ "$(stat -c '%a %G' $sock)" = "660 showtell" ]; check socket-mode-and-group $?
  setpriv --reuid=65534 --regid=65534 --clear-groups showtell status >/dev/null 2>&1; r=$?
  [ $r = 3 ]; check socket-refuses-others $? "exit $r"
  setpriv --reuid=65534 --regid=65534 --groups="$(getent group showtell | cut -d: -f3)" showtell status >/dev/null 2>&1
  check socket-answers-its-group $?
  # The field engineer's tools on the box.
  showtell selftest > "$share/selftest.txt" 2>&1; r=$?
  check selftest-passes-on-the-box $r "$(grep FAIL "$share/selftest.txt" | head -3)"
  showtell selftest --json > "$state/selftest.json" 2>&1; r=$?
  [ $r = 0 ] && grep -q '"kernels-int8"' "$state/selftest.json"; check selftest-json $? "exit $r"
  showtell control snapshot > /dev/null 2>&1
  showtell support-bundle --out "$share/support-bundle.tar.gz" > /dev/null 2>&1; r=$?
  tar -xzOf "$share/support-bundle.tar.gz" --wildcards '*/journal.txt' | grep -q "<5> ready"
  check support-bundle-with-journal $? "exit $r"
  tar -tzf "$share/support-bundle.tar.gz" | grep -q "snapshot/snapshot-.*png"; check support-bundle-with-snapshot $?
  # Watchdog: a hung daemon (SIGSTOP) stops the pings; systemd kills and restarts it.
  restarts=$(prop NRestarts); pid=$(prop MainPID)
  kill -STOP "$pid"; t0=$(date +%s)
  wait_for 60 '[ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ] && active'; r=$?
  check watchdog-restarts-a-hung-daemon $r "NRestarts $(prop NRestarts)"
  info "watchdog: new pid $(prop MainPID) after $(($(date +%s) - t0)) s (WatchdogSec=$(prop WatchdogUSec)), NRestarts $restarts -> $(prop NRestarts)"
  journalctl -b -u showtelld -o cat | grep -qi "watchdog timeout"; check journal-names-the-watchdog $?
  # Restart=on-failure: a crash (SIGSEGV) is restarted.
  pid=$(prop MainPID); kill -SEGV "$pid"
  wait_for 60 '[ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ] && active'; check restart-after-crash $?
  # ... within StartLimitBurst per StartLimitIntervalSec: further crashes trip the limit. An
  # automatic restart refused by the limit leaves the unit failed with the last run's Result
  # (signal), so the journal's "Start request repeated too quickly" is what tells.
  limited() { [ "$(prop ActiveState)" = failed ] && journalctl -b -u showtelld -o cat | grep -q "Start request repeated too quickly"; }
  crashes=0
  while ! limited && [ $crashes -lt 8 ]; do
    pid=$(prop MainPID); [ "$pid" != 0 ] && kill -SEGV "$pid"
    wait_for 30 'limited || { [ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ] && active; }'
    crashes=$((crashes + 1))
  done
  limited; check start-limit-stops-a-crash-loop $? "$(prop ActiveState), Result $(prop Result) after $crashes more crashes"
  info "start limit: $(prop StartLimitBurst) starts per $(prop StartLimitIntervalUSec); hit after $crashes more crashes"
  systemctl reset-failed showtelld; systemctl start showtelld; wait_for 120 active; check starts-again-after-reset $?
  # Purge: the service stops, its files, state and group go.
  dpkg --purge showtell > "$state/dpkg-3.log" 2>&1; check dpkg-purge $? "$(tail -3 $state/dpkg-3.log)"
  ! pgrep -x showtelld >/dev/null; check purge-stopped-the-daemon $?
  [ ! -e /usr/bin/showtelld ] && [ ! -e /etc/showtell ] && [ ! -e /var/lib/private/showtell ] && ! getent group showtell >/dev/null
  check purge-removes-files-state-and-group $? "$(ls -d /etc/showtell /var/lib/private/showtell /usr/bin/showtelld 2>&1 | tr '\n' ' ')"
  echo 2 > "$state/stage"
  echo "STAGE done"
  sync
  systemctl poweroff
fi
# Stage 2 and later: the checks are done; a boot that gets here only powers off.
if [ "$stage" -ge 2 ] 2>/dev/null; then systemctl poweroff; fi
