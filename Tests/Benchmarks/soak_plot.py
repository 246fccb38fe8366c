"""Plot a soak run (Tests/Benchmarks/soak.sh): memory, threads and descriptors, and
capture-to-display latency per minute, into OUT_DIR/soak.png.
Usage: python soak_plot.py OUT_DIR"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

out = sys.argv[1]
rows = list(csv.DictReader(open(f"{out}/soak.csv")))
minute = [int(r["minute"]) for r in rows]


def column(name, scale=1.0):
    return [float(r[name]) * scale for r in rows]


fig, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
axes[0].plot(minute, column("rss_kb", 1 / 1024), label="RSS")
axes[0].plot(minute, column("anon_kb", 1 / 1024), label="anonymous")
axes[0].set_ylabel("MiB")
axes[0].set_ylim(bottom=0)
axes[1].plot(minute, column("threads"), label="threads")
axes[1].plot(minute, column("fds"), label="open descriptors")
axes[1].set_ylim(bottom=0)
axes[2].plot(minute, column("p50_ms"), label="p50")
axes[2].plot(minute, column("p99_ms"), label="p99")
axes[2].set_ylabel("capture to display, ms")
axes[2].set_ylim(bottom=0)
axes[2].set_xlabel("minute")
for axis in axes:
    axis.legend(loc="lower right")
    axis.grid(alpha=0.3)
fig.suptitle(f"showtelld soak: {len(rows)} minutes, looped real-pace replay, control-socket clients")
fig.tight_layout()
fig.savefig(f"{out}/soak.png", dpi=90)
print(f"wrote {out}/soak.png")
