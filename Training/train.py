#!/usr/bin/env python3
"""Train the default masked-diffusion code model.

Resumable: the run directory holds `last.pt` (model, optimizer, step, tokens), written atomically every
--ckpt-minutes; restarting the same command continues from it. SIGTERM/SIGINT finish the current step, write a
checkpoint and exit. Weight-only snapshots `snap_<tokens>.pt` are kept every --snapshot-tokens for evaluation.
Log: <run>/train.log (one JSON object per line) and <run>/STATUS (one line, the latest state).

Runs unchanged on CUDA (bf16 autocast, larger steps) or CPU (fp32, --threads threads).
"""
import argparse
import itertools
import json
import math
import os
import random
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import history  # noqa: E402
from data import SampleMaker, Shards, parse_weights  # noqa: E402
from model import DiffusionLM, ModelConfig, grown_deeper  # noqa: E402
from reference_forward import load_exported  # noqa: E402

STOP = False


def _stop(signum, frame):
    global STOP
    STOP = True


def masked_loss(model, inp, target, weight):
    """Sum over masked positions of weight * CE, averaged over the batch; the head runs only on the rows that
    predict a masked position (row p, or row p-1 for a shifted model)."""
    h = model.hidden(inp)
    if model.cfg.shift_logits:
        h, target, weight = h[:, :-1], target[:, 1:], weight[:, 1:]  # position 0 has no row before it
    sel = weight > 0
    logits = model.logits_from_hidden(h[sel]).float()
    ce = F.cross_entropy(logits, target[sel], reduction="none")
    return (ce * weight[sel]).sum() / inp.shape[0], ce.detach(), sel


def next_token_loss(model, ids):
    """Autoregressive warm start: causal attention, every row predicts the next token (mean CE)."""
    h = model.hidden(ids, causal=True)[:, :-1]
    ce = F.cross_entropy(model.logits_from_hidden(h).float().reshape(-1, model.cfg.vocab_size),
                         ids[:, 1:].reshape(-1), reduction="none")
    return ce.mean(), ce.detach(), None


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def init_state(path):
    """Weights and config to start a run from: a training checkpoint (.pt) or an exported model directory (f16
    weights, converted to f32), with the exported model's training history."""
    if not os.path.isdir(path):
        st = torch.load(path, map_location="cpu", weights_only=False)
        # The checkpoint's own run becomes a phase of the history, so that it survives even where the checkpoint
        # does not (a warm start trained on a borrowed machine, whose files stay there).
        base = st.get("init_history") or {"phases": [], "checkpoints": []}
        st.setdefault("history", history.with_run(base, history.phase_of(st), []))
        return st
    model, _ = load_exported(path)
    hist = history.load(path)
    return {"config": model.cfg.to_dict(), "model": model.state_dict(), "tokens": history.totals(hist)[0],
            "history": hist}


def lr_at(step, progress, args):
    """Linear warm-up, then a cosine from --lr to --min-lr-frac of it over `progress` (0 to 1)."""
    if step < args.warmup_steps:
        return args.lr * (step + 1) / args.warmup_steps
    frac = min(1.0, progress)
    return args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * frac)))


class StepBatches(torch.utils.data.Dataset):
    """The batch of training step `k`, built from a generator seeded by k alone: the same run trains on the same
    batches whether they are built in the training process or by data workers, in any order."""

    def __init__(self, maker, lengths, probs, tokens_per_step, seed, objective):
        self.maker, self.lengths, self.cum = maker, lengths, np.cumsum(probs)
        self.tps, self.seed, self.objective = tokens_per_step, seed, objective

    def __len__(self):
        return 2 ** 62

    def __getitem__(self, k):
        rng = random.Random(self.seed * 1_000_003 + k)
        S = self.lengths[int(np.searchsorted(self.cum, rng.random()))]
        B = max(1, self.tps // S)
        if self.objective == "ar":
            return (torch.from_numpy(self.maker.plain_batch(rng, B, S)),)
        return tuple(torch.from_numpy(a) for a in self.maker.batch(rng, B, S))


def step_batches(maker, lengths, probs, tokens_per_step, args, first_step, pin):
    """Batches for steps first_step, first_step + 1, ... (an endless iterator), from --data-workers processes
    when asked for: on an accelerator, building canvases in one Python process is what bounds the step rate."""
    data = StepBatches(maker, lengths, probs, tokens_per_step, args.seed, args.objective)
    if args.data_workers <= 0:
        return (data[k] for k in itertools.count(first_step))
    loader = torch.utils.data.DataLoader(data, batch_size=None, sampler=itertools.count(first_step),
                                         num_workers=args.data_workers, prefetch_factor=4, pin_memory=pin,
                                         persistent_workers=True)
    return iter(loader)


def parse_lengths(s):
    out = []
    for kv in s.split(","):
        L, p = kv.split(":")
        out.append((int(L), float(p)))
    return out


def heldout_languages(shards):
    """Languages with held-out files in `shards`."""
    f = shards.files
    return sorted({shards.languages[int(li)] for li in f[(f[:, 4] == 1) & (f[:, 1] > 0), 3]})


def heldout_batches(shards, languages, per_lang, length, seed):
    """Fixed infill batches of 8 canvases from the held-out files, per language: the same seed gives the same
    canvases, so figures stay comparable from checkpoint to checkpoint and between runs."""
    batches = {}
    for lang in languages:
        # One maker per language, every other language weighted 0 (a missing weight would count as 1).
        only = {l: float(l == lang) for l in shards.languages}
        maker = SampleMaker(shards, split=1, lang_weights=only, p_infill=1.0)
        rng = random.Random(seed)
        batches[lang] = [maker.batch(rng, 8, length) for _ in range(max(1, per_lang // 8))]
    return batches


@torch.no_grad()
def validation(model, val_batches, device, autocast):
    """Infill cross-entropy on held-out files: pooled over every masked token, and per language.

    `val_batches` maps a language to its fixed batches, so that runs on different corpora stay comparable
    language by language (a corpus that adds languages changes the pooled figure, not the per-language ones)."""
    model.eval()
    by_lang, tot, n = {}, 0.0, 0
    for lang, batches in val_batches.items():
        lt, ln = 0.0, 0
        for x, y, w in batches:
            x, y, w = (torch.from_numpy(a).to(device) for a in (x, y, w))
            with autocast():
                h = model.hidden(x)
            if model.cfg.shift_logits:
                h, y, w = h[:, :-1], y[:, 1:], w[:, 1:]
            sel = w > 0
            ce = F.cross_entropy(model.logits_from_hidden(h[sel].float()).float(), y[sel], reduction="none")
            lt += ce.sum().item()
            ln += ce.numel()
        by_lang[lang] = round(lt / max(1, ln), 4)
        tot, n = tot + lt, n + ln
    model.train()
    return tot / max(1, n), by_lang


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shards", default=os.path.join(HERE, "work", "shards"))
    ap.add_argument("--run", default=os.path.join(HERE, "work", "run"))
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--n-layers", type=int, default=4)
    ap.add_argument("--n-heads", type=int, default=4)
    ap.add_argument("--max-seq", type=int, default=1024)
    ap.add_argument("--lengths", default="256:0.5,512:0.35,1024:0.15",
                    help="sequence length buckets L:probability; each step uses one length")
    ap.add_argument("--tokens-per-step", type=int, default=0, help="0: 2048 on CPU, 65536 on CUDA")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup-steps", type=int, default=100)
    ap.add_argument("--total-tokens", type=float, default=40e6,
                    help="cosine schedule length (0: the schedule follows wall time over --max-minutes instead, for "
                         "a run whose length is set by the clock, as on a borrowed accelerator)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    ap.add_argument("--max-tokens", type=float, default=0, help="stop after this many tokens (0: no limit)")
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="stop after this many minutes of wall time (0: no limit), e.g. a borrowed machine's lease")
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--p-infill", type=float, default=0.5)
    ap.add_argument("--p-left-to-right", type=float, default=0.0,
                    help="share of infill holes masked from a random point to the end (left-to-right decoding's state)")
    ap.add_argument("--rest-at-word-start", action="store_true",
                    help="rest-of-line holes begin at a word's start or a non-word character, as the engine's do")
    ap.add_argument("--objective", choices=["mdm", "ar"], default="mdm",
                    help="mdm: masked diffusion + infill holes; ar: causal next-token warm start (needs --shift)")
    ap.add_argument("--shift", action="store_true",
                    help="new runs only: Dream-style shifted logits (row i predicts position i+1)")
    ap.add_argument("--init", default=None,
                    help="new runs only: start from this checkpoint's weights and config (fresh optimizer and "
                         "schedule): the autoregressive warm start's last.pt, or an exported model directory such "
                         "as ../Models/default, whose training.json history the run carries on")
    ap.add_argument("--grow-layers", type=int, default=0,
                    help="with --init: start from a deeper model that computes what the --init weights compute "
                         "(model.grown_deeper: copies of its blocks whose outputs start at zero)")
    ap.add_argument("--lang-weights", default="swift=0.45,python=0.35,c=0.1,javascript=0.1")
    ap.add_argument("--source-weights", default="",
                    help="PATTERN=W,...: multiply the sampling weight of sources whose name matches (fnmatch), "
                         "e.g. 'cpython-stdlib/*=8'")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--snapshot-tokens", type=float, default=2e6)
    ap.add_argument("--val-every-ckpt", type=int, default=2, help="validate at every Nth checkpoint (0: never)")
    ap.add_argument("--val-samples", type=int, default=16, help="held-out canvases per language")
    ap.add_argument("--val-langs", default="", help="languages to validate on, comma-separated (default: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-workers", type=int, default=0,
                    help="processes that build the batches (0: the training process itself). One process builds "
                         "about 0.1-0.3 M tokens of canvases a second, far less than an accelerator trains on")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--log-every", type=int, default=5)
    args = ap.parse_args()
    if not args.total_tokens and not args.max_minutes:
        sys.exit("--total-tokens 0 schedules the learning rate by wall time, which needs --max-minutes")
    if args.grow_layers and not args.init:
        sys.exit("--grow-layers grows the --init weights: name them")

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    os.makedirs(args.run, exist_ok=True)
    device = torch.device("cuda" if (args.device == "auto" and torch.cuda.is_available()) else
                          (args.device if args.device != "auto" else "cpu"))
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
        autocast = lambda: torch.autocast("cpu", enabled=False)  # noqa: E731  (bf16 on CPU is much slower)
    else:
        torch.backends.cuda.matmul.allow_tf32 = True
        autocast = lambda: torch.autocast("cuda", dtype=torch.bfloat16)  # noqa: E731
    tps = args.tokens_per_step or (65536 if device.type == "cuda" else 2048)

    shards = Shards(args.shards)
    maker = SampleMaker(shards, split=0, lang_weights=parse_weights(args.lang_weights), p_infill=args.p_infill,
                        source_weights=parse_weights(args.source_weights),
                        p_left_to_right=args.p_left_to_right, rest_at_word_start=args.rest_at_word_start)
    val_batches = {}
    if args.val_samples > 0:
        heldout_langs = heldout_languages(shards)
        wanted = args.val_langs.split(",") if args.val_langs else heldout_langs
        for lang in wanted:
            if lang not in heldout_langs:
                sys.exit(f"--val-langs: no held-out files for {lang!r} in {args.shards}")
        val_batches = heldout_batches(shards, wanted, args.val_samples, min(512, args.max_seq), seed=999)

    ckpt_path = os.path.join(args.run, "last.pt")
    state = torch.load(ckpt_path, map_location="cpu", weights_only=False) if os.path.exists(ckpt_path) else None
    init = None
    if state:
        cfg = ModelConfig(**state["config"])
    elif args.init:
        init = init_state(args.init)
        cfg = ModelConfig(**init["config"])
        if args.grow_layers:
            n_from = cfg.n_layers
            cfg, init["model"] = grown_deeper(cfg, init["model"], args.grow_layers)
            print(f"grown from {n_from} to {cfg.n_layers} layers", file=sys.stderr)
    else:
        cfg = ModelConfig(vocab_size=shards.meta["vocab_size"], d_model=args.d_model, n_layers=args.n_layers,
                          n_heads=args.n_heads, mlp_hidden_size=ModelConfig.swiglu_hidden(args.d_model),
                          max_sequence_length=args.max_seq, shift_logits=args.shift)
    if args.objective == "ar" and not cfg.shift_logits:
        sys.exit("--objective ar trains next-token prediction, which only a shifted model (--shift) keeps")
    torch.manual_seed(args.seed)
    model = DiffusionLM(cfg).to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    step, tokens, elapsed = 0, 0, 0.0
    if init:
        model.load_state_dict(init["model"])
        print(f"initialised from {args.init} ({init['tokens'] / 1e6:.2f} M tokens)", file=sys.stderr)
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, tokens, elapsed = state["step"], state["tokens"], state.get("elapsed", 0.0)
        print(f"resumed from {ckpt_path}: step {step}, {tokens / 1e6:.2f} M tokens", file=sys.stderr)
    print(f"device {device}; params {model.num_params() / 1e6:.2f} M ({model.num_params(True) / 1e6:.2f} M "
          f"non-embedding); config {cfg.to_dict()}; tokens/step {tps}", file=sys.stderr)

    lengths = parse_lengths(args.lengths)
    lengths = [(L, p) for L, p in lengths if L <= cfg.max_sequence_length]
    Ls, Ps = [L for L, _ in lengths], np.array([p for _, p in lengths]) / sum(p for _, p in lengths)
    log = open(os.path.join(args.run, "train.log"), "a")

    # The history of the weights this run started from (an exported model's training.json), kept in every
    # checkpoint so that export.py can append this run to it.
    init_history = state.get("init_history") if state else (init or {}).get("history")

    def save(tag=None):
        st = {"config": cfg.to_dict(), "model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
              "tokens": tokens, "elapsed": elapsed, "args": vars(args), "init_history": init_history,
              "device": device.type}
        atomic_save(st, ckpt_path)

    def status(msg):
        with open(os.path.join(args.run, "STATUS.tmp"), "w") as f:
            f.write(msg + "\n")
        os.replace(os.path.join(args.run, "STATUS.tmp"), os.path.join(args.run, "STATUS"))

    last_ckpt = time.time()
    next_snap = (tokens // args.snapshot_tokens + 1) * args.snapshot_tokens
    n_ckpt = 0
    acc = {"loss": 0.0, "n": 0, "tok": 0, "t": 0.0, "masked_ce": 0.0, "masked_n": 0}
    if init and val_batches:
        # Where the run starts, so that its first checkpoints' figures have something to be compared with.
        ce, by_lang = validation(model, val_batches, device, autocast)
        log.write(json.dumps({"step": step, "tokens": tokens, "val_infill_ce": ce, "val_infill_ce_by_lang": by_lang,
                              "time": time.time()}) + "\n")
        log.flush()
    # Every start (fresh or resumed) records its arguments: a run resumed with other settings changes only what
    # follows, and the log then says which settings trained which tokens (the checkpoint keeps only the last).
    log.write(json.dumps({"step": step, "tokens": tokens, "start": vars(args), "time": time.time()}) + "\n")
    log.flush()
    model.train()
    started = time.time()
    batches = step_batches(maker, Ls, Ps, tps, args, first_step=step, pin=device.type == "cuda")
    while not STOP:
        if args.max_minutes and time.time() - started > args.max_minutes * 60:
            break
        if args.max_steps and step >= args.max_steps:
            break
        if args.max_tokens and tokens >= args.max_tokens:
            break
        t0 = time.time()
        batch = next(batches)
        x = batch[0].to(device, non_blocking=True)
        if args.objective != "ar":
            y, w = (a.to(device, non_blocking=True) for a in batch[1:])
        B, S = x.shape
        if args.total_tokens:
            progress = tokens / args.total_tokens
        else:
            progress = (time.time() - started) / (args.max_minutes * 60)
        lr = lr_at(step, progress, args)
        for g in opt.param_groups:
            g["lr"] = lr
        with autocast():
            loss, ce, sel = next_token_loss(model, x) if args.objective == "ar" else masked_loss(model, x, y, w)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        dt = time.time() - t0
        step += 1
        tokens += B * S
        elapsed += dt
        acc["loss"] += loss.item()
        acc["n"] += 1
        acc["tok"] += B * S
        acc["t"] += dt
        acc["masked_ce"] += ce.sum().item()
        acc["masked_n"] += ce.numel()
        if step % args.log_every == 0:
            rec = {"step": step, "tokens": tokens, "objective": args.objective, "loss": acc["loss"] / acc["n"],
                   "masked_ce": acc["masked_ce"] / max(1, acc["masked_n"]), "lr": lr,
                   "tok_per_s": acc["tok"] / acc["t"], "elapsed_s": round(elapsed), "time": time.time()}
            log.write(json.dumps(rec) + "\n")
            log.flush()
            status(f"step {step} tokens {tokens / 1e6:.3f}M loss {rec['loss']:.4f} masked_ce {rec['masked_ce']:.4f} "
                   f"tok/s {rec['tok_per_s']:.0f} lr {lr:.2e} elapsed {elapsed / 3600:.2f}h "
                   f"at {time.strftime('%Y-%m-%d %H:%M:%S')}")
            acc = {"loss": 0.0, "n": 0, "tok": 0, "t": 0.0, "masked_ce": 0.0, "masked_n": 0}
        if time.time() - last_ckpt > args.ckpt_minutes * 60 or tokens >= next_snap:
            save()
            last_ckpt = time.time()
            n_ckpt += 1
            rec = {"step": step, "tokens": tokens, "checkpoint": ckpt_path, "time": time.time()}
            if tokens >= next_snap:
                snap = os.path.join(args.run, f"snap_{int(tokens // 1e6):04d}M.pt")
                atomic_save({"config": cfg.to_dict(), "model": model.state_dict(), "step": step, "tokens": tokens,
                             "elapsed": elapsed}, snap)
                rec["snapshot"] = snap
                next_snap = (tokens // args.snapshot_tokens + 1) * args.snapshot_tokens
            if val_batches and args.val_every_ckpt and n_ckpt % args.val_every_ckpt == 0:
                rec["val_infill_ce"], rec["val_infill_ce_by_lang"] = validation(model, val_batches, device, autocast)
            log.write(json.dumps(rec) + "\n")
            log.flush()
    save()
    log.write(json.dumps({"step": step, "tokens": tokens, "checkpoint": ckpt_path, "stopped": True,
                          "time": time.time()}) + "\n")
    log.close()
    status(f"stopped at step {step} tokens {tokens / 1e6:.3f}M at {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(f"saved {ckpt_path} at step {step}", file=sys.stderr)


if __name__ == "__main__":
    main()
