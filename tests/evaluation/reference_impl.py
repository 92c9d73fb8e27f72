"""A plain re-statement of DEMO's three evaluation scripts, for parity tests only.

densevid_eval (``eval/cider.py``), SODA_c (``eval/soda.py`` + ``dataset.py``) and the Chapter-Llama
overlap metrics (``eval/overlap.py``), written the slow, obvious way: pycocoevalcap's wrappers
called per video (per GT row for SODA, as the reference does), the recursive SODA DP, Python loops.
Inputs are ActivityNet dicts: ``gt = {vid: {"timestamps", "sentences"}}``,
``pred = {vid: [{"timestamp", "sentence"}, ...]}``. Fractions are returned (not x100).
"""

from __future__ import annotations

import random
import string
import sys

import numpy as np


def iou(a, b):
    (s1, e1), (s2, e2) = a, b
    inter = max(0.0, min(e1, e2) - max(s1, s2))
    union = min(max(e1, e2) - min(s1, s2), e1 - s1 + e2 - s2)
    return inter / (union + 1e-8)


def remove_nonascii(text):
    return "".join(c if ord(c) < 128 else " " for c in text)


def tokenize(captions):
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    out = PTBTokenizer().tokenize({i: [{"caption": c}] for i, c in enumerate(captions)})
    return [out[i][0] for i in range(len(captions))]


def densevid(gt, pred, meteor, tious=(0.3, 0.5, 0.7, 0.9), max_proposals=1000, seed=0):
    """cider.py -v: caption metrics and P/R per tIoU, each averaged over all GT videos."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    rng = random.Random(seed)
    pred = {v: p[:max_proposals] for v, p in pred.items()}
    names = ["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr"]
    per_t = {}
    for t in tious:
        res, ref, vid2idx = [], [], {}
        for vid, g in gt.items():
            vid2idx[vid] = []
            for p in pred.get(vid, []):
                added = False
                for ts, sent in zip(g["timestamps"], g["sentences"]):
                    if (
                        iou(ts, p["timestamp"]) >= t
                    ):  # cider.py: self.iou(pred, gt), ((e_g-s_g)+e_p)-s_p
                        vid2idx[vid].append(len(res))
                        res.append(remove_nonascii(p["sentence"]))
                        ref.append(remove_nonascii(sent))
                        added = True
                if not added:
                    word = "".join(
                        rng.choice(string.ascii_lowercase) for _ in range(rng.randint(10, 20))
                    )
                    vid2idx[vid].append(len(res))
                    res.append(remove_nonascii(p["sentence"]))
                    ref.append(word)
        tok_res, tok_ref = tokenize(res), tokenize(ref)
        scores = {m: [] for m in names}
        for vid in gt:
            idx = vid2idx[vid]
            if not idx:
                for m in names:
                    scores[m].append(0.0)
                continue
            r = {k: [tok_res[k]] for k in idx}
            g = {k: [tok_ref[k]] for k in idx}
            b, _ = Bleu(4).compute_score(g, r, verbose=0)
            for k in range(4):
                scores[names[k]].append(b[k])
            scores["METEOR"].append(meteor.compute_score(g, r)[0])
            scores["ROUGE_L"].append(Rouge().compute_score(g, r)[0])
            scores["CIDEr"].append(Cider().compute_score(g, r)[0])
        out = {m: float(np.mean(v)) for m, v in scores.items()}
        prec, rec = [], []
        for vid, g in gt.items():
            preds = pred.get(vid, [])
            covered, correct = set(), set()
            for j, p in enumerate(preds):
                for i, ts in enumerate(g["timestamps"]):
                    if iou(ts, p["timestamp"]) > t:
                        covered.add(i)
                        correct.add(j)
            prec.append(len(correct) / len(preds) if preds else 0.0)
            rec.append(len(covered) / len(g["timestamps"]) if preds else 0.0)
        out["Precision"], out["Recall"] = float(np.mean(prec)), float(np.mean(rec))
        per_t[t] = out
    return per_t


def _dp(scores):
    m, n = scores.shape
    dp = -np.ones((m, n))

    def transition(i, j):
        if dp[i, j] >= 0:
            return dp[i, j]
        if i == 0 and j == 0:
            state = [-1, -1, scores[i, j]]
        elif i == 0:
            state = [-1, transition(i, j - 1), scores[i, j]]
        elif j == 0:
            state = [transition(i - 1, j), -1, scores[i, j]]
        else:
            state = [
                transition(i - 1, j),
                transition(i, j - 1),
                transition(i - 1, j - 1) + scores[i, j],
            ]
        dp[i, j] = np.max(state)
        return dp[i, j]

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 4 * (m + n) + 1000))
    try:
        return transition(m - 1, n - 1)
    finally:
        sys.setrecursionlimit(old)


def soda_c(gt, pred, meteor):
    """soda.py: mean F over videos present in both files; METEOR(hyp=GT sentence, ref=pred)."""
    vids = [v for v in gt if v in pred]
    f = []
    for vid in vids:
        g = sorted(zip(gt[vid]["timestamps"], gt[vid]["sentences"]), key=lambda x: x[0][0])
        p = sorted(pred[vid], key=lambda x: x["timestamp"][0])
        g_tok = tokenize([remove_nonascii(s) for _, s in g])
        p_tok = tokenize([remove_nonascii(x["sentence"]) for x in p])
        ious = np.array([[iou(x["timestamp"], ts) for x in p] for ts, _ in g])
        ious[ious < 0.0] = 0.0
        res = {j: [s] for j, s in enumerate(p_tok)}
        rows = [meteor.compute_score(res, {j: [gs] for j in range(len(p_tok))})[1] for gs in g_tok]
        best = _dp(ious * np.array(rows))
        prec, rec = best / len(p), best / len(g)
        f.append(2 * prec * rec / (prec + rec) if prec + rec > 0 else 0)
    return float(np.mean(f))


def overlap(gt, pred, thresholds=None):
    """overlap.py in float64: (mean greedy tIoU, mean F1 over thresholds) over shared videos."""
    if thresholds is None:
        thresholds = np.arange(0.5, 0.95 + 0.05, 0.05)
    vids = sorted(v for v in pred if v in gt)
    tiou, f1 = [], {t: [] for t in thresholds}
    for vid in vids:
        refs, preds = gt[vid]["timestamps"], [x["timestamp"] for x in pred[vid]]
        ov = {}
        for i, r in enumerate(refs):
            for j, p in enumerate(preds):
                v = iou(r, p)
                if v > 0:
                    ov[(i, j)] = v
        used_r, used_p, matched = set(), set(), []
        for (i, j), v in sorted(ov.items(), key=lambda x: x[1], reverse=True):
            if i not in used_r and j not in used_p:
                used_r.add(i)
                used_p.add(j)
                matched.append(v)
        tiou.append(float(np.mean(matched)) if matched else 0.0)
        for t in thresholds:
            hit = [k for k, v in ov.items() if v >= t]
            p = len({j for _, j in hit}) / max(len(preds), 1)
            r = len({i for i, _ in hit}) / len(refs)
            f1[t].append(2 * (p * r) / (p + r) if p + r else 0.0)
    return float(np.mean(tiou)), float(np.mean([np.mean(f1[t]) for t in thresholds]))
