"""What the shipped relevance head's gate does on held-out moments: of the moments whose window
names anatomy, how many the box shows (p(anatomy) at or above the head's threshold) and how its
pointing game goes on those shown and those hidden; of the other speech, how much it hides.

usage: python3 models/session-2026-12-07aq/gate_effect.py RUN...   (OUT/localise/NAME of `eval localise` on a bundle with a head)
"""
import glob, json, os, sys

for run in sys.argv[1:]:
    threshold = json.load(open(os.path.join(run, "result.json")))["relevance"]["threshold"]
    samples = [s for path in sorted(glob.glob(os.path.join(run, "scan-*.json"))) for s in json.load(open(path))]
    named = [s for s in samples if s["category"] == "names anatomy"]
    other = [s for s in samples if s["category"] != "names anatomy"]
    shown = [s for s in named if s["relevance"] >= threshold]
    judged = lambda group, key: [s[key] for s in group if s.get(key) is not None]
    line = (f"{run}: threshold {threshold:.3f}; named moments shown {len(shown)}/{len(named)} ({100 * len(shown) / len(named):.1f} %), "
            f"other speech hidden {sum(s['relevance'] < threshold for s in other)}/{len(other)} "
            f"({100 * sum(s['relevance'] < threshold for s in other) / len(other):.1f} %)")
    for key, label in (("pointing", "own grid"), ("standardPointing", "within 15 px")):
        on, off = judged(shown, key), judged([s for s in named if s["relevance"] < threshold], key)
        if on and off:
            line += f"; {label}: shown {100 * sum(on) / len(on):.1f} % ({len(on)}), hidden {100 * sum(off) / len(off):.1f} % ({len(off)})"
    print(line)
