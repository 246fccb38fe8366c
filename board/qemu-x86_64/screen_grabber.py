"""Grabs the virtual board's screen the moment the guest asks: watches the QEMU console log
for lines "SCREENDUMP-AT <name>" and sends `screendump DIR/at-<name>.ppm` over one monitor
connection held open for the whole run (a connection per grab would add a few hundred ms
between the guest's request and the picture). Stops when DONE_FILE appears.

    screen_grabber.py MONITOR_SOCKET CONSOLE_LOG OUT_DIR DONE_FILE
"""
import os
import re
import socket
import sys
import time

monitor_path, console_path, out_dir, done_file = sys.argv[1:5]
monitor = None
while monitor is None and not os.path.exists(done_file):
    try:
        monitor = socket.socket(socket.AF_UNIX)
        monitor.connect(monitor_path)
    except OSError:
        monitor = None
        time.sleep(0.05)
if monitor is None:
    sys.exit(0)
monitor.setblocking(False)
position, pending = 0, b""
while not os.path.exists(done_file):
    try:
        while monitor.recv(65536):  # the monitor's replies and prompts: not needed
            pass
    except (BlockingIOError, InterruptedError):
        pass
    with open(console_path, "rb") as console:
        console.seek(position)
        data = console.read()
    position += len(data)
    pending += data
    *lines, pending = pending.split(b"\n")
    for line in lines:
        match = re.search(rb"SCREENDUMP-AT (\S+)\s*$", line)
        if match:
            name = match.group(1).decode()
            monitor.sendall(f"screendump {out_dir}/at-{name}.ppm\n".encode())
            print(f"grabbed at-{name}.ppm", file=sys.stderr)
    time.sleep(0.02)
