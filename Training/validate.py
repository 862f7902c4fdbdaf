"""Held-out infill CE of several models on one validation set, larger than the one the trainer logs.

    .venv/bin/python validate.py ../Models/default work/run4/last.pt work/run5/last.pt --shards work/shards-v2

Each argument is an exported model directory or a training checkpoint. Every model sees the same canvases
(`--per-lang` of 512 tokens per language from the held-out repositories, drawn with `--seed`), so the figures
compare weights directly, which the trainer's own validation (16 canvases per language) is too noisy for when the
difference is a few hundredths of a nat.
"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import Shards  # noqa: E402
from model import DiffusionLM, ModelConfig  # noqa: E402
from train import heldout_batches, heldout_languages, init_state, validation  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--shards", default=os.path.join(HERE, "work", "shards"))
    ap.add_argument("--per-lang", type=int, default=64, help="held-out canvases per language (a multiple of 8)")
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    shards = Shards(args.shards)
    langs = heldout_languages(shards)
    batches = heldout_batches(shards, langs, args.per_lang, 512, seed=args.seed)
    print("| weights | pooled | " + " | ".join(langs) + " |")
    print("|---|---:|" + "---:|" * len(langs))
    for path in args.models:
        state = init_state(path)
        model = DiffusionLM(ModelConfig(**state["config"]))
        model.load_state_dict(state["model"])
        pooled, by_lang = validation(model, batches, torch.device("cpu"),
                                     lambda: torch.autocast("cpu", enabled=False))
        print(f"| {path} | {pooled:.3f} | " + " | ".join(f"{by_lang[l]:.3f}" for l in langs) + " |", flush=True)


if __name__ == "__main__":
    main()
