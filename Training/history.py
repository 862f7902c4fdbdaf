"""The default model's training history, carried with the exported weights across machines.

Models/default/training.json records every training phase the exported weights went through (objective, tokens
seen, CPU or GPU hours, corpus size) and the held-out infill CE at each exported checkpoint. A run started with
`train.py --init Models/default` copies that history into its checkpoints; `export.py` appends the run's own phase
and writes the file again. So the quality-against-tokens table survives a fresh machine, where only what is
committed exists, and exporting the same run twice does not count its tokens twice.
"""
import json
import os

FILE = "training.json"


def load(model_dir):
    """The history stored beside an exported model, or an empty one."""
    path = os.path.join(model_dir, FILE)
    if not os.path.exists(path):
        return {"phases": [], "checkpoints": []}
    with open(path) as f:
        return json.load(f)


def totals(hist):
    """Tokens seen and compute hours over every phase."""
    return (sum(p["tokens"] for p in hist["phases"]), sum(p["hours"] for p in hist["phases"]))


def hours_by_device(hist):
    """Compute hours per device ("cpu", "cuda"): an accelerator's hour is worth hundreds of a CPU's, so a total
    alone would say little about what the next budget buys."""
    out = {}
    for p in hist["phases"]:
        dev = p.get("device", "cpu")
        out[dev] = out.get(dev, 0.0) + p["hours"]
    return out


def phase_of(state, corpus_tokens=None):
    """The phase a training checkpoint's own run makes (objective, tokens, hours, device, corpus size)."""
    return {"objective": (state.get("args") or {}).get("objective", "mdm"), "tokens": int(state.get("tokens", 0)),
            "hours": round(state.get("elapsed", 0.0) / 3600, 3), "device": state.get("device", "cpu"),
            "corpus_tokens": corpus_tokens}


def with_run(hist, phase, checkpoints):
    """`hist` (what the run started from) followed by this run's phase and its checkpoints' validation figures.

    phase: {"objective", "tokens", "hours", "device", "corpus_tokens"} of this run alone.
    checkpoints: [(run tokens, run hours, val_infill_ce[, validation set])], positions within this run; stored
    cumulatively. The validation set ("7 languages × 16 canvases") says which figures are comparable.
    """
    base_tokens, base_hours = totals(hist)
    out = {"phases": list(hist["phases"]) + [phase], "checkpoints": list(hist["checkpoints"])}
    for tok, hours, ce, *val_set in checkpoints:
        entry = {"tokens_total": int(base_tokens + tok), "hours_total": round(base_hours + hours, 3),
                 "val_infill_ce": round(ce, 4)}
        if val_set and val_set[0]:
            entry["val_set"] = val_set[0]
        out["checkpoints"].append(entry)
    return out


def save(hist, model_dir):
    tmp = os.path.join(model_dir, FILE + ".tmp")
    with open(tmp, "w") as f:
        json.dump(hist, f, indent=1)
        f.write("\n")
    os.replace(tmp, os.path.join(model_dir, FILE))
