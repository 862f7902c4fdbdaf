#!/usr/bin/env python3
"""Pack the shards for a training run on a borrowed accelerator machine, and unpack what it brings back.

The accelerator machine reaches nothing outside it and takes a limited working tree per call, so the shards travel
compressed, cut down to a token budget when the corpus is larger: every held-out file (the validation set), then
training files (whole files) until the budget is reached, shared between languages as the run will sample them.

  python device_pack.py pack [--shards work/shards] [--tokens 40e6] [--out work/device]
                             [--lang-weights python=0.4,swift=0.33,...] [--source-weights 'cpython-stdlib/*=10']
      -> work/device/shards.tar.xz  (tokens.bin, files.npy, meta.json, tokenizer.json)
  python device_pack.py unpack-run --from DIR --out work/run-device
      -> work/run-device/weights.pt, train.log  (from the checkpoint parts device_train.sh wrote)
"""
import argparse
import glob
import io
import json
import os
import random
import sys
import tarfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import parse_weights, source_multipliers  # noqa: E402


def subset(shards_dir, budget, lang_weights=None, source_weights=None, seed=0):
    """Rows of files.npy kept: every held-out file (the validation set), then training files up to `budget` tokens.

    Each language gets a share of the budget in proportion to its weight in the run's sampling (`lang_weights`,
    as train.py's --lang-weights), capped at what the corpus holds, a capped language's unused share going to the
    others: a small language the run weights heavily (Swift) comes whole instead of the sliver a uniform draw of a
    Python-heavy corpus would give it. Inside a language, files from sources weighted above 1 (`source_weights`,
    as --source-weights) come first, then the rest in a seeded random order."""
    files = np.load(os.path.join(shards_dir, "files.npy"))
    meta = json.load(open(os.path.join(shards_dir, "meta.json")))
    held = [i for i in range(len(files)) if files[i, 4] == 1]
    kept, total = list(held), int(files[held, 1].sum()) if held else 0
    train = np.nonzero((files[:, 4] == 0) & (files[:, 1] > 0))[0]
    langs = meta["languages"]
    avail = {l: int(files[train[files[train, 3] == li], 1].sum()) for li, l in enumerate(langs)}
    weights = {l: (lang_weights or {}).get(l, 1.0) for l in langs}  # a language left out counts 1, as in train.py
    quota, left, open_langs = {l: 0 for l in langs}, max(0, budget - total), {l for l in langs if weights[l] > 0}
    while left > 0 and open_langs:
        wsum = sum(weights[l] for l in open_langs)
        share = {l: left * weights[l] / wsum for l in open_langs}
        left = 0
        for l in list(open_langs):
            take = min(share[l], avail[l] - quota[l])
            quota[l] += take
            left += share[l] - take
            if quota[l] >= avail[l]:
                open_langs.discard(l)
        left = int(left)
    repo_w = source_multipliers(meta["repos"], source_weights)
    rng = random.Random(seed)
    for li, lang in enumerate(langs):
        rows = [int(i) for i in train[files[train, 3] == li]]
        rng.shuffle(rows)
        rows.sort(key=lambda i: -repo_w[files[i, 2]])  # stable: the random order stays inside each weight
        got = 0
        for i in rows:
            if got >= quota[lang]:
                break
            kept.append(i)
            got += int(files[i, 1])
    return sorted(kept), files


def subset_stats(meta, rows):
    """Files and tokens per language and split of the packed rows alone: a run records its shards' training tokens
    as the corpus it saw, which must be the subset it trained on, not the corpus it was cut from."""
    stats = {}
    for row in rows:
        s = stats.setdefault(f"{meta['languages'][int(row[3])]}/{'heldout' if row[4] else 'train'}",
                             {"files": 0, "tokens": 0})
        s["files"] += 1
        s["tokens"] += int(row[1])
    return stats


def pack(args):
    kept, files = subset(args.shards, args.tokens, parse_weights(args.lang_weights),
                         parse_weights(args.source_weights), seed=args.seed)
    tokens = np.memmap(os.path.join(args.shards, "tokens.bin"), dtype=np.uint16, mode="r")
    meta = json.load(open(os.path.join(args.shards, "meta.json")))
    out_tokens, rows, offset = [], [], 0
    for i in kept:
        off, n = int(files[i, 0]), int(files[i, 1])
        out_tokens.append(np.asarray(tokens[off:off + n]))
        rows.append((offset, n, *files[i, 2:]))
        offset += n
    meta = dict(meta, paths=[meta["paths"][i] for i in kept], packed_from=len(files), stats=subset_stats(meta, rows))
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "shards.tar.xz")
    with tarfile.open(path + ".tmp", "w:xz", preset=6) as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add("tokens.bin", np.concatenate(out_tokens).astype(np.uint16).tobytes())
        buf = io.BytesIO()
        np.save(buf, np.asarray(rows, dtype=np.int64))
        add("files.npy", buf.getvalue())
        add("meta.json", json.dumps(meta).encode())
        add("tokenizer.json", open(os.path.join(args.shards, "tokenizer.json"), "rb").read())
    os.replace(path + ".tmp", path)
    train_tokens = sum(r[1] for r in rows if r[4] == 0)
    print(f"{len(kept)} of {len(files)} files, {offset / 1e6:.1f} M tokens ({train_tokens / 1e6:.1f} M training): "
          f"{path}, {os.path.getsize(path) / 2**20:.1f} MiB")


def unpack_run(args):
    """Reassemble the checkpoint parts (ckpt.part-*) and copy the log."""
    parts = sorted(glob.glob(os.path.join(args.src, "ckpt.part-*")))
    if not parts:
        sys.exit(f"no ckpt.part-* under {args.src}")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "weights.pt"), "wb") as f:
        for p in parts:
            f.write(open(p, "rb").read())
    log = os.path.join(args.src, "train.log")
    if os.path.exists(log):
        with open(os.path.join(args.out, "train.log"), "w") as f:
            f.write(open(log).read())
    print(f"{len(parts)} parts -> {os.path.join(args.out, 'weights.pt')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--shards", default=os.path.join(HERE, "work", "shards"))
    p.add_argument("--tokens", type=float, default=40e6)
    p.add_argument("--out", default=os.path.join(HERE, "work", "device"))
    p.add_argument("--lang-weights", default="", help="the run's --lang-weights: each language's share of the budget")
    p.add_argument("--source-weights", default="", help="the run's --source-weights: those sources' files first")
    p.add_argument("--seed", type=int, default=0,
                   help="the order files are drawn in: another seed carries other files of a language too large "
                        "to travel whole, so that a later run does not repeat the subset an earlier one saw")
    u = sub.add_parser("unpack-run")
    u.add_argument("--from", dest="src", required=True)
    u.add_argument("--out", default=os.path.join(HERE, "work", "run-device"))
    args = ap.parse_args()
    pack(args) if args.cmd == "pack" else unpack_run(args)


if __name__ == "__main__":
    main()
