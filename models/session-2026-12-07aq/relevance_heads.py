"""Which "about anatomy?" head, and which threshold: fitted on a prepared dataset's clips with the
ASR keyword gate as the teacher (no transcript), judged on held-out moments against the
transcript.

usage: python3 models/session-2026-12-07aq/relevance_heads.py TRAIN_EMBEDDINGS CLIPS_JSONL RUN

TRAIN_EMBEDDINGS is `showtell relevance --save-embeddings` (audio [clips, D], keyword [clips]),
CLIPS_JSONL that dataset's clips.jsonl (for each clip's session and time), RUN a held-out
`eval localise --keep-embeddings` run (OUT/localise/NAME: each moment's audio embedding and
whether its window names anatomy). Reports test AUC of a logistic regression (three strengths),
small MLPs, the logistic regression with the one or two windows before (the box could keep
them), and, for the logistic head, what thresholds keeping a share of the keyword clips do on
the held-out moments. numpy and scikit-learn.
"""
import glob, json, os, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import read_safetensors


def previous(sessions, times, gap):
    """Index of the window `gap` s before each (itself when there is none)."""
    out = np.arange(len(times))
    for i in range(1, len(times)):
        if sessions[i] == sessions[i - 1] and abs(times[i] - times[i - 1] - gap) < 0.06:
            out[i] = i - 1
    return out


train, clips_path, run = sys.argv[1:4]
kept = read_safetensors(train)
X, y = kept["audio"], kept["keyword"] > 0
clips = [json.loads(line) for line in open(clips_path)]
p = previous([c["session"] for c in clips], [c["t"] for c in clips], 0.2)
A, Y, S, T = [], [], [], []
for path in sorted(glob.glob(os.path.join(run, "scan-*.json"))):
    samples = json.load(open(path)); audio = read_safetensors(path[:-5] + ".safetensors")["audio"]
    for i, s in enumerate(samples):
        A.append(audio[i]); Y.append(s["category"] == "names anatomy"); S.append(s["scan"]); T.append(s["time"])
A, Y = np.array(A), np.array(Y)
pt = previous(S, T, 0.25)
print(f"fitting: {len(y)} clips, {100 * y.mean():.1f} % with an ASR keyword; held out: {len(Y)} moments, {100 * Y.mean():.1f} % name anatomy")


def logistic(F, Ft, C=1.0):
    scaler = StandardScaler().fit(F)
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(scaler.transform(F), y)
    return model.decision_function(scaler.transform(F)), model.decision_function(scaler.transform(Ft))


for C in (0.01, 0.1, 1.0):
    print(f"logistic, C {C}: held-out AUC {roc_auc_score(Y, logistic(X, A, C)[1]):.3f}")
scaler = StandardScaler().fit(X)
for hidden, alpha in ((32, 1e-3), (64, 1e-2), (128, 1e-1)):
    mlp = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=alpha, max_iter=500, early_stopping=True, random_state=0).fit(scaler.transform(X), y)
    print(f"MLP {hidden} hidden, alpha {alpha}: held-out AUC {roc_auc_score(Y, mlp.predict_proba(scaler.transform(A))[:, 1]):.3f}")
for name, F, Ft in (("with the window before", np.hstack([X, X[p]]), np.hstack([A, A[pt]])),
                    ("with the two windows before", np.hstack([X, X[p], X[p[p]]]), np.hstack([A, A[pt], A[pt[pt]]]))):
    print(f"logistic {name}: held-out AUC {roc_auc_score(Y, logistic(F, Ft)[1]):.3f}")
s, st = logistic(X, A)
for keep in (0.8, 0.9, 0.95, 0.98):
    threshold = np.quantile(s[y], 1 - keep)
    shown = st >= threshold
    print(f"threshold keeping {100 * keep:.0f} % of the keyword clips: held out, named moments shown {100 * shown[Y].mean():.1f} %, "
          f"other speech hidden {100 * (1 - shown[~Y].mean()):.1f} %, precision {100 * Y[shown].mean():.1f} %")
