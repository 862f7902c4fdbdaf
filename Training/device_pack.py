#!/usr/bin/env python3
"""Pack the shards for a training run on a borrowed accelerator machine, and unpack what it brings back.

The accelerator machine reaches nothing outside it and takes a limited working tree per call, so the shards travel
compressed, cut down to a token budget when the corpus is larger: every held-out file (the validation set), then
training files drawn at random (whole files, each language kept in proportion) until the budget is reached.

  python device_pack.py pack [--shards work/shards] [--tokens 40e6] [--out work/device]
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


def subset(shards_dir, budget, seed=0):
    """Rows of files.npy kept (all held-out files, then random training files up to `budget` tokens)."""
    files = np.load(os.path.join(shards_dir, "files.npy"))
    held = [i for i in range(len(files)) if files[i, 4] == 1]
    train = [i for i in range(len(files)) if files[i, 4] == 0]
    random.Random(seed).shuffle(train)
    kept, total = list(held), int(files[held, 1].sum()) if held else 0
    for i in train:
        if total >= budget:
            break
        kept.append(i)
        total += int(files[i, 1])
    return sorted(kept), files


def pack(args):
    kept, files = subset(args.shards, args.tokens)
    tokens = np.memmap(os.path.join(args.shards, "tokens.bin"), dtype=np.uint16, mode="r")
    meta = json.load(open(os.path.join(args.shards, "meta.json")))
    out_tokens, rows, offset = [], [], 0
    for i in kept:
        off, n = int(files[i, 0]), int(files[i, 1])
        out_tokens.append(np.asarray(tokens[off:off + n]))
        rows.append((offset, n, *files[i, 2:]))
        offset += n
    meta = dict(meta, paths=[meta["paths"][i] for i in kept], packed_from=len(files))
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
    u = sub.add_parser("unpack-run")
    u.add_argument("--from", dest="src", required=True)
    u.add_argument("--out", default=os.path.join(HERE, "work", "run-device"))
    args = ap.parse_args()
    pack(args) if args.cmd == "pack" else unpack_run(args)


if __name__ == "__main__":
    main()
