#!/usr/bin/env python3
"""Train the byte-level BPE tokenizer on a mixed sample of the corpus, then pre-tokenize the whole corpus into
compact shards that can be copied to another machine.

Tokenizer: HF `tokenizers` byte-level BPE, GPT-2/Qwen2-style tokenizer.json (ByteLevel pre-tokenizer without prefix
space, ByteLevel decoder), special tokens at ids 0, 1, 2: <|endoftext|>, <|mask|>, <|file_sep|>.

Shards (under --out, default Training/work/shards):
  tokenizer.json
  tokens.bin    uint16, every file's tokens back to back (no separators; file boundaries are in files.npy)
  files.npy     int64 [N, 5]: token offset, token count, repository id, language id, split (0 train, 1 held out)
  meta.json     languages, repositories, each file's path within its repository, vocabulary size, special ids
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
SPECIALS = ["<|endoftext|>", "<|mask|>", "<|file_sep|>"]


def build_tokenizer(texts, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    for i, s in enumerate(SPECIALS):
        assert tok.token_to_id(s) == i, (s, tok.token_to_id(s))
    return tok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(HERE, "work", "corpus", "files.jsonl"))
    ap.add_argument("--out", default=os.path.join(HERE, "work", "shards"))
    ap.add_argument("--vocab-size", type=int, default=8192)
    ap.add_argument("--sample-mb", default="swift=12,python=10,javascript=2.5,c=5",
                    help="MB of training-split text per language for the tokenizer's sample")
    ap.add_argument("--tokenizer", default=None, help="reuse this tokenizer.json instead of training one")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    records = [json.loads(l) for l in open(args.corpus, encoding="utf-8")]
    print(f"{len(records)} files", file=sys.stderr)

    if args.tokenizer:
        tok = Tokenizer.from_file(args.tokenizer)
    else:
        budget = {kv.split("=")[0]: float(kv.split("=")[1]) * 1e6 for kv in args.sample_mb.split(",")}
        rng = random.Random(args.seed)
        order = list(range(len(records)))
        rng.shuffle(order)
        sample, used = [], {}
        for i in order:
            r = records[i]
            if r["split"] != "train" or r["lang"] not in budget:
                continue
            if used.get(r["lang"], 0) >= budget[r["lang"]]:
                continue
            used[r["lang"]] = used.get(r["lang"], 0) + len(r["text"])
            sample.append(r["text"])
        t0 = time.time()
        tok = build_tokenizer(sample, args.vocab_size)
        print(f"tokenizer trained on {sum(used.values()) / 1e6:.1f} MB in {time.time() - t0:.1f}s: {used}",
              file=sys.stderr)
    tok.save(os.path.join(args.out, "tokenizer.json"))
    assert tok.get_vocab_size() <= 65535

    langs = sorted({r["lang"] for r in records})
    repos = sorted({(r["lang"], r["repo"]) for r in records})
    repo_id = {k: i for i, k in enumerate(repos)}
    t0 = time.time()
    rows, paths = [], []
    offset = 0
    tmp = os.path.join(args.out, "tokens.bin.tmp")
    stats = {}
    with open(tmp, "wb") as f:
        for start in range(0, len(records), 2000):
            chunk = records[start:start + 2000]
            encs = tok.encode_batch([r["text"] for r in chunk], add_special_tokens=False)
            for r, e in zip(chunk, encs):
                ids = np.asarray(e.ids, dtype=np.uint16)
                f.write(ids.tobytes())
                split = 0 if r["split"] == "train" else 1
                rows.append((offset, len(ids), repo_id[(r["lang"], r["repo"])], langs.index(r["lang"]), split))
                paths.append(r["path"])
                offset += len(ids)
                s = stats.setdefault(f"{r['lang']}/{r['split']}", {"files": 0, "bytes": 0, "tokens": 0})
                s["files"] += 1
                s["bytes"] += len(r["text"].encode("utf-8"))
                s["tokens"] += len(ids)
    os.replace(tmp, os.path.join(args.out, "tokens.bin"))
    np.save(os.path.join(args.out, "files.npy"), np.asarray(rows, dtype=np.int64))
    for s in stats.values():
        s["bytes_per_token"] = round(s["bytes"] / max(1, s["tokens"]), 3)
    meta = {"languages": langs, "repos": [list(k) for k in repos], "paths": paths,
            "vocab_size": tok.get_vocab_size(), "special_tokens": {s: i for i, s in enumerate(SPECIALS)},
            "stats": stats}
    json.dump(meta, open(os.path.join(args.out, "meta.json"), "w"))
    print(f"{offset / 1e6:.1f} M tokens in {time.time() - t0:.1f}s", file=sys.stderr)
    for k, s in sorted(stats.items()):
        print(f"  {k:22s} files {s['files']:6d}  MB {s['bytes'] / 1e6:6.1f}  Mtok {s['tokens'] / 1e6:6.2f}  "
              f"B/tok {s['bytes_per_token']}", file=sys.stderr)


if __name__ == "__main__":
    main()
