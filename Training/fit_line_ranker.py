"""Fits the weights of the server's line ranker (`LineRanker` in Sources/Features/LineRanker.swift).

The ranker scores every distinct line of the file as the cursor's line with a linear function of its features, adds
one more option, "keep the model's fill", with a logit of its own, and picks the most likely under a softmax. This
script fits those weights by maximum likelihood of a right choice: for each hole, the probability of the options that
are right (the candidate lines equal to the hole's line, and keeping the model's fill when that fill was right).
Holes where no option is right (new code: a line the file does not have, which the model did not write either) are
left out by default; with `--none-right keep` they count as "keep the model's fill" being right, since no line of
the file should be offered there. Fitting on a mixture of repetitive and new-code holes that way is what keeps the
ranker quiet on new code (`Training/JOURNAL.md`, "Silence on new code").

The features come from the server itself, so that what is fitted is what runs:

    dlsp bench infill HOLES.jsonl --json --record-ranker-candidates > TRAIN.json

Fit on one set (or several pooled, comma-separated), check on others (exact match of the first suggestion, and what typing would offer at each floor on
the ranked line's probability):

    .venv/bin/python fit_line_ranker.py TRAIN.json CHECK1.json CHECK2.json

It prints the weights as the Swift literal of `LineRanker.Weights.fitted`.
"""

import argparse
import json

import numpy as np


def last_json_object(path):
    """`dlsp bench infill --json` may print progress before its JSON: the last complete object is the figures."""
    text = open(path, encoding="utf-8").read()
    decoder = json.JSONDecoder()
    i, last = 0, None
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        last, i = decoder.raw_decode(text, i)
    return last


def load(path):
    """The ranker holes of one bench JSON, as (language, features [n, d] with a last zero row for "keep the model's
    fill", labels [n + 1], model fill offered while typing)."""
    holes = []
    for language, figures in sorted(last_json_object(path).items()):
        for hole in figures.get("rankerHoles", []):
            features = hole["features"]
            d = len(features[0]) if features else 0
            x = np.array(features + [[0.0] * d], dtype=np.float64) if features else np.zeros((1, 0))
            labels = np.array(hole["right"] + [hole["modelRight"]], dtype=bool)
            holes.append((language, x, labels, hole["modelOffered"]))
    return holes


def logits(x, w, keep):
    z = x @ w if x.shape[1] else np.zeros(x.shape[0])
    z[-1] = keep
    return z


def fit(holes, dims, l2, iterations, lr=0.05, none_right="skip"):
    w, keep = np.zeros(dims), 0.0
    m, v = np.zeros(dims + 1), np.zeros(dims + 1)
    usable = []
    for hole in holes:
        _, x, y, _ = hole[:4]
        keep_here = hole[4] if len(hole) > 4 else False
        if x.shape[1] != dims:
            continue
        if not y.any():
            if none_right != "keep" and not keep_here:
                continue
            # No line of the file is right and neither is the model: offering no line is right.
            y = np.zeros_like(y)
            y[-1] = True
        usable.append((x, y))
    for t in range(1, iterations + 1):
        grad = np.zeros(dims + 1)
        for x, y in usable:
            z = logits(x, w, keep)
            p = np.exp(z - z.max())
            p /= p.sum()
            r = np.where(y, p, 0.0)
            r /= r.sum()
            g = p - r
            grad[:dims] += x[:-1].T @ g[:-1]
            grad[dims] += g[-1]
        grad[:dims] += 2 * l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        step = lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        w -= step[:dims]
        keep -= step[dims]
    return w, keep


def report(name, holes, w, keep, floors):
    by_language = {}
    chosen = []
    for language, x, y, offered in holes:
        z = logits(x, w, keep) if x.shape[1] == len(w) else np.array([keep])
        p = np.exp(z - z.max())
        p /= p.sum()
        i = int(np.argmax(z[:-1])) if len(z) > 1 else -1
        if i < 0 or z[i] <= keep:
            i = len(z) - 1
        keeps = i == len(z) - 1
        c = by_language.setdefault(language, [0, 0, 0])
        c[0] += 1
        c[1] += bool(y[-1])
        c[2] += bool(y[i])
        chosen.append((keeps, float(p[i]), bool(y[i]), offered, bool(y[-1])))
    per = ", ".join(f"{lang} {c[1]} -> {c[2]}" for lang, c in by_language.items())
    total = [sum(c[k] for c in by_language.values()) for k in range(3)]
    print(f"{name}: {total[0]} holes; right first suggestion, model's fill -> ranked: {total[1]} -> {total[2]} ({per})")
    n = len(chosen)
    base_off = sum(1 for c in chosen if c[3])
    base_right = sum(1 for c in chosen if c[3] and c[4])
    cells = []
    for floor in floors:
        off = right = 0
        for keeps, p, ok, offered, model_right in chosen:
            if keeps:
                off += offered
                right += offered and model_right
            elif p >= floor:
                off += 1
                right += ok
        cells.append(f"{floor:.2f}: {right}/{off} ({right / max(1, off):.2f}, {off / max(1, n):.3f})")
    print(f"  typing, right / offered (precision, coverage of these holes): model alone {base_right}/{base_off}; "
          + "; ".join(cells))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("train", help="bench JSON to fit on; several, comma-separated, are pooled")
    parser.add_argument("check", nargs="*")
    parser.add_argument("--l2", type=float, default=0.01)
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--floors", default="0.5,0.6,0.7,0.8,0.9")
    parser.add_argument("--none-right", choices=["skip", "keep"], default="skip",
                        help="holes where no option is right: left out, or counted as keeping the model's fill")
    parser.add_argument("--none-right-keep-in", default="",
                        help="comma-separated training files (new-code sets) whose holes with no right option count as "
                             "keeping the model's fill, the others' being left out")
    args = parser.parse_args()
    keep_in = set(filter(None, args.none_right_keep_in.split(",")))
    train = [hole + ((path in keep_in),) for path in args.train.split(",") for hole in load(path)]
    dims = max(hole[1].shape[1] for hole in train)
    w, keep = fit(train, dims, args.l2, args.iterations, none_right=args.none_right)
    floors = [float(f) for f in args.floors.split(",")]
    report(args.train, [hole[:4] for hole in train], w, keep, floors)
    for path in args.check:
        report(path, load(path), w, keep, floors)
    print("Weights(features: [" + ", ".join(f"{v:.3f}" for v in w) + f"], keepModel: {keep:.3f})")


if __name__ == "__main__":
    main()
