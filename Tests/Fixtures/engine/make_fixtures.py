#!/usr/bin/env python3
"""Builds the engine's reference fixtures: tiny random-weight diffusion LMs of both families, a real byte-level BPE
tokenizer, reference logits and reference greedy denoising results.

    pip install -r requirements.txt && python3 make_fixtures.py

Dream family: transformers' Qwen2ForCausalLM (Q/K/V bias) with attention made non-causal, cross-checked against
the plain PyTorch reference below. LLaDA family: the plain PyTorch reference below with OLMo tensor names. The
samplers are re-implementations of Dream's `_sample` (maskgit_plus / entropy / margin with the timestep schedule)
and LLaDA's `generate` (low_confidence, block-wise, even transfer counts), greedy (temperature 0).
CoDA (Qwen3 layout, per-head q/k RMSNorm): make_coda_fixture.py, called from here or on its own.
Everything written here is small (well under 2 MB together) and deterministic for the seeds below.
"""
import json, math, os, shutil
import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(1234)
torch.set_grad_enabled(False)

CORPUS = [
    "def add(a, b):\n    return a + b\n",
    "func greet(name: String) -> String {\n    return \"Hello, \\(name)!\"\n}\n",
    "for i in range(10):\n    print(i * i)\n",
    "let numbers = [1, 2, 3].map { $0 * 2 }\n",
    "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n",
    "struct Vec { var x: Double; var y: Double }\n",
    "if (count > 0) { total += count; } else { return -1; }\n",
    "// Grüße aus München — naïve café, 日本語のコメント\n",
    "import os\nimport sys\n\nprint(os.getcwd())\n",
] * 4
SPECIALS = ["<|endoftext|>", "<|mask|>", "<|file_sep|>"]


def make_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=360, special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    return tok


# ---------------------------------------------------------------------------------------------------------------
# Plain PyTorch reference of the bidirectional transformer (LLaMA/Qwen2 layout, rotate-half RoPE, no causal mask).

def rms_norm(x, w, eps):
    x32 = x.float()
    return w * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps))


def rope(x, pos, theta, factor):  # x: [n, heads, hd]
    hd = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    inv = inv / factor
    ang = pos.float()[:, None] * inv[None, :]
    emb = torch.cat([ang, ang], -1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def ref_forward(W, cfg, ids):
    """Returns logits [n, vocab] (row i from hidden state i: no shift here)."""
    d, nh, nkv = cfg["d"], cfg["nh"], cfg["nkv"]
    hd = d // nh
    n = len(ids)
    pos = torch.arange(n)
    x = W["embed"][torch.tensor(ids)]
    for L in W["layers"]:
        h = rms_norm(x, L["attn_norm"], cfg["eps"])
        q = h @ L["q"].T + (L["bq"] if "bq" in L else 0)
        k = h @ L["k"].T + (L["bk"] if "bk" in L else 0)
        v = h @ L["v"].T + (L["bv"] if "bv" in L else 0)
        q = rope(q.view(n, nh, hd), pos, cfg["theta"], cfg["factor"])
        k = rope(k.view(n, nkv, hd), pos, cfg["theta"], cfg["factor"])
        v = v.view(n, nkv, hd)
        rep = nh // nkv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        s = torch.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd)
        a = torch.einsum("hqk,khd->qhd", s.softmax(-1), v).reshape(n, nh * hd)
        x = x + a @ L["o"].T
        h = rms_norm(x, L["ffn_norm"], cfg["eps"])
        x = x + (torch.nn.functional.silu(h @ L["gate"].T) * (h @ L["up"].T)) @ L["down"].T
    x = rms_norm(x, W["final_norm"], cfg["eps"])
    return x @ W["head"].T


def random_weights(cfg, bias, tied, scale=0.25):
    d, nh, nkv, ffn, V = cfg["d"], cfg["nh"], cfg["nkv"], cfg["ffn"], cfg["rows"]
    hd = d // nh
    r = lambda *s: torch.randn(*s) * scale
    W = {"embed": torch.randn(V, d), "layers": [], "final_norm": 1 + 0.1 * torch.randn(d)}
    for _ in range(cfg["layers"]):
        L = {"attn_norm": 1 + 0.1 * torch.randn(d), "ffn_norm": 1 + 0.1 * torch.randn(d),
             "q": r(nh * hd, d), "k": r(nkv * hd, d), "v": r(nkv * hd, d), "o": r(d, nh * hd),
             "gate": r(ffn, d), "up": r(ffn, d), "down": r(d, ffn)}
        if bias:
            L.update(bq=r(nh * hd), bk=r(nkv * hd), bv=r(nkv * hd))
        W["layers"].append(L)
    W["head"] = W["embed"] if tied else torch.randn(V, d) * 0.5
    return W


def round_weights(W, dtype):
    """The weights as the engine sees them after loading an f16/bf16 file."""
    f = lambda t: t.to(dtype).float()
    out = {"embed": f(W["embed"]), "final_norm": f(W["final_norm"]),
           "layers": [{k: f(v) for k, v in L.items()} for L in W["layers"]]}
    out["head"] = out["embed"] if W["head"] is W["embed"] else f(W["head"])
    return out


def dream_tensors(W, tied):
    t = {"model.embed_tokens.weight": W["embed"], "model.norm.weight": W["final_norm"]}
    for i, L in enumerate(W["layers"]):
        p = f"model.layers.{i}."
        t.update({p + "input_layernorm.weight": L["attn_norm"], p + "post_attention_layernorm.weight": L["ffn_norm"],
                  p + "self_attn.q_proj.weight": L["q"], p + "self_attn.k_proj.weight": L["k"],
                  p + "self_attn.v_proj.weight": L["v"], p + "self_attn.o_proj.weight": L["o"],
                  p + "self_attn.q_proj.bias": L["bq"], p + "self_attn.k_proj.bias": L["bk"],
                  p + "self_attn.v_proj.bias": L["bv"], p + "mlp.gate_proj.weight": L["gate"],
                  p + "mlp.up_proj.weight": L["up"], p + "mlp.down_proj.weight": L["down"]})
    if not tied:
        t["lm_head.weight"] = W["head"]
    return t


def llada_tensors(W, tied):
    t = {"model.transformer.wte.weight": W["embed"], "model.transformer.ln_f.weight": W["final_norm"]}
    for i, L in enumerate(W["layers"]):
        p = f"model.transformer.blocks.{i}."
        t.update({p + "attn_norm.weight": L["attn_norm"], p + "ff_norm.weight": L["ffn_norm"],
                  p + "q_proj.weight": L["q"], p + "k_proj.weight": L["k"], p + "v_proj.weight": L["v"],
                  p + "attn_out.weight": L["o"], p + "ff_proj.weight": L["gate"], p + "up_proj.weight": L["up"],
                  p + "ff_out.weight": L["down"]})
    if not tied:
        t["model.transformer.ff_out.weight"] = W["head"]
    return t


def hf_qwen2_logits(W, cfg, ids, tied):
    """The same Dream-family weights through transformers' Qwen2, with the causal mask replaced by a full one."""
    from transformers import Qwen2Config, Qwen2ForCausalLM
    hc = Qwen2Config(vocab_size=cfg["rows"], hidden_size=cfg["d"], intermediate_size=cfg["ffn"],
                     num_hidden_layers=cfg["layers"], num_attention_heads=cfg["nh"],
                     num_key_value_heads=cfg["nkv"], rms_norm_eps=cfg["eps"], tie_word_embeddings=tied,
                     max_position_embeddings=256, attn_implementation="eager")
    hc.rope_parameters = {"rope_type": "linear", "factor": cfg["factor"], "rope_theta": cfg["theta"]} \
        if cfg["factor"] != 1 else {"rope_type": "default", "rope_theta": cfg["theta"]}
    m = Qwen2ForCausalLM(hc).eval()
    sd = dream_tensors(W, tied)
    if tied:
        sd["lm_head.weight"] = W["embed"]
    missing, unexpected = m.load_state_dict({k: v.clone() for k, v in sd.items()}, strict=False)
    assert not unexpected and all("rotary" in k for k in missing), (missing, unexpected)
    for layer in m.model.layers:
        layer.self_attn.is_causal = False
    n = len(ids)
    full = torch.zeros(1, 1, n, n)  # additive 4-D mask of zeros: every position sees every position
    return m(input_ids=torch.tensor([ids]), attention_mask=full).logits[0]


# ---------------------------------------------------------------------------------------------------------------
# Reference samplers (greedy).

def dream_sample(W, cfg, canvas, mask_id, steps, alg, eps=1e-3, forward=None):
    forward = forward or ref_forward
    x = torch.tensor(canvas)
    ts = torch.linspace(1, eps, steps + 1)
    for i in range(steps):
        mask_index = x == mask_id
        logits = forward(W, cfg, x.tolist())
        logits = torch.cat([logits[:1], logits[:-1]], 0)  # Dream's shift
        ml = logits[mask_index]
        probs = ml.softmax(-1)
        conf, x0 = probs.max(-1)
        if alg == "entropy":
            conf = (probs * torch.log(probs + 1e-10)).sum(-1)
        elif alg == "topk_margin":
            sp, _ = probs.sort(-1, descending=True)
            conf = sp[:, 0] - sp[:, 1]
        num_mask = int(mask_index.sum())
        t, s = ts[i], ts[i + 1]
        k = int(num_mask * (1 - s / t)) if i < steps - 1 else num_mask
        full = torch.full(x.shape, -torch.inf)
        full[mask_index] = conf
        if k > 0:
            _, idx = torch.topk(full, k)
            x_ = torch.full(x.shape, mask_id)
            x_[mask_index] = x0
            x[idx] = x_[idx]
    return x.tolist()


def llada_sample(W, cfg, canvas, mask_id, hole_start, hole_len, steps, block):
    x = torch.tensor(canvas)
    nblocks = hole_len // block
    spb = steps // nblocks
    for b in range(nblocks):
        b0, b1 = hole_start + b * block, hole_start + (b + 1) * block
        nmask = int((x[b0:b1] == mask_id).sum())
        base, rem = nmask // spb, nmask % spb
        counts = [base + (1 if j < rem else 0) for j in range(spb)]
        for j in range(spb):
            mask_index = x == mask_id
            logits = ref_forward(W, cfg, x.tolist()).double()
            x0 = logits.argmax(-1)
            p = logits.softmax(-1)
            conf = torch.gather(p, -1, x0[:, None])[:, 0]
            conf[b1:] = -torch.inf
            x0 = torch.where(mask_index, x0, x)
            conf = torch.where(mask_index, conf, torch.tensor(-torch.inf, dtype=conf.dtype))
            if counts[j] > 0:
                _, idx = torch.topk(conf, counts[j])
                x[idx] = x0[idx]
    return x.tolist()


# ---------------------------------------------------------------------------------------------------------------

def write_model(dirname, cfg, config_json, tensors, tokenizer, dtype=torch.float32, shards=1):
    d = os.path.join(HERE, dirname)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config_json, f, indent=1)
    tokenizer.save(os.path.join(d, "tokenizer.json"))
    tensors = {k: v.to(dtype).contiguous() for k, v in tensors.items()}
    if shards == 1:
        save_file(tensors, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    else:
        names = sorted(tensors)
        weight_map = {}
        for s in range(shards):
            part = names[s::shards]
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            save_file({k: tensors[k] for k in part}, os.path.join(d, fname), metadata={"format": "pt"})
            weight_map.update({k: fname for k in part})
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=1)
    return d


def rows_json(logits, rows):
    return {str(r): [float(f"{v:.7g}") for v in logits[r].tolist()] for r in rows}


def main():
    tok = make_tokenizer()
    tok.save(os.path.join(HERE, "tokenizer.json"))
    eos, mask, fsep = (tok.token_to_id(s) for s in SPECIALS)
    V = tok.get_vocab_size()
    prefix = tok.encode("<|file_sep|>a.py\ndef add(a, b):\n    return").ids
    suffix = tok.encode("\n\nprint(add(1, 2))\n").ids
    hole = 8
    canvas = prefix + [mask] * hole + suffix
    hole_start = len(prefix)
    probe_rows = [0, hole_start - 1, hole_start, hole_start + 3, len(canvas) - 1]
    expected = {"tokenizer": {"eos": eos, "mask": mask, "file_sep": fsep, "vocab": V},
                "prefix": prefix, "suffix": suffix, "hole": hole, "canvas": canvas, "models": {}}

    # Dream family.
    base = dict(d=64, nh=4, nkv=2, ffn=96, layers=2, eps=1e-6, theta=10000.0, rows=V)
    for name, tied, factor, dtype, shards in [("dream_tied", True, 1.0, torch.float32, 1),
                                              ("dream_untied", False, 2.0, torch.float32, 2),
                                              ("dream_bf16", True, 1.0, torch.bfloat16, 1)]:
        cfg = dict(base, factor=factor)
        W = random_weights(cfg, bias=True, tied=tied)
        if dtype != torch.float32:
            W = round_weights(W, dtype)
        logits = ref_forward(W, cfg, canvas)
        hf = hf_qwen2_logits(W, cfg, canvas, tied)
        assert (hf - logits).abs().max() < 1e-4, f"{name}: HF Qwen2 and reference disagree"
        # Non-causality check: changing the last token must change the first row.
        alt = list(canvas); alt[-1] = (alt[-1] + 1) % V
        assert (ref_forward(W, cfg, alt)[0] - logits[0]).abs().max() > 1e-3
        cj = {"architectures": ["DreamModel"], "model_type": "Dream", "hidden_size": cfg["d"],
              "intermediate_size": cfg["ffn"], "num_hidden_layers": cfg["layers"], "num_attention_heads": cfg["nh"],
              "num_key_value_heads": cfg["nkv"], "rms_norm_eps": cfg["eps"], "rope_theta": cfg["theta"],
              "tie_word_embeddings": tied, "vocab_size": V, "mask_token_id": mask, "eos_token_id": eos,
              "pad_token_id": eos, "max_position_embeddings": 256, "torch_dtype": str(dtype).split(".")[-1]}
        if factor != 1:
            cj["rope_scaling"] = {"type": "linear", "factor": factor}
        write_model(name, cfg, cj, dream_tensors(W, tied), tok, dtype, shards)
        entry = {"logits": rows_json(logits, probe_rows), "greedy": {}}
        for alg in ["maskgit_plus", "entropy", "topk_margin"]:
            out = dream_sample(W, cfg, canvas, mask, steps=4, alg=alg)
            entry["greedy"][alg] = {"steps": 4, "hole": out[hole_start:hole_start + hole]}
        expected["models"][name] = entry
        if name == "dream_tied":
            dream_tied_W, dream_cfg = W, cfg

    # LLaDA family (the default model's layout: tied embeddings, padded embedding rows, GQA, no bias).
    for name, dtype in [("llada_tied", torch.float32), ("llada_f16", torch.float16)]:
        rows = V + 24  # embedding_size > vocab_size, as LLaDA pads it
        cfg = dict(d=64, nh=4, nkv=2, ffn=80, layers=2, eps=1e-5, theta=500000.0, rows=rows, factor=1.0)
        W = random_weights(cfg, bias=False, tied=True)
        if dtype != torch.float32:
            W = round_weights(W, dtype)
        logits = ref_forward(W, cfg, canvas)
        cj = {"architectures": ["LLaDAModelLM"], "model_type": "llada", "d_model": cfg["d"], "n_heads": cfg["nh"],
              "n_kv_heads": cfg["nkv"], "n_layers": cfg["layers"], "mlp_hidden_size": cfg["ffn"], "vocab_size": V,
              "embedding_size": rows, "rope_theta": cfg["theta"], "rms_norm_eps": cfg["eps"], "weight_tying": True,
              "mask_token_id": mask, "eos_token_id": eos, "pad_token_id": eos, "file_sep_token_id": fsep,
              "max_sequence_length": 256}
        write_model(name, cfg, cj, llada_tensors(W, True), tok, dtype)
        entry = {"logits": rows_json(logits, probe_rows), "greedy": {}}
        out = llada_sample(W, cfg, canvas, mask, hole_start, hole, steps=4, block=4)
        entry["greedy"]["low_confidence_block4"] = {"steps": 4, "block": 4, "hole": out[hole_start:hole_start + hole]}
        out = llada_sample(W, cfg, canvas, mask, hole_start, hole, steps=8, block=8)
        entry["greedy"]["low_confidence"] = {"steps": 8, "block": 8, "hole": out[hole_start:hole_start + hole]}
        expected["models"][name] = entry

    # Tokenizer parity strings for the tokenizer integration test.
    samples = ["def add(a, b):\n    return a + b\n", "let café = \"naïve\" // 日本語 🙂\n",
               "<|file_sep|>src/main.swift\nprint(1)<|endoftext|>", "  \t\n  x=1;;  "]
    expected["tokenization"] = [{"text": s, "ids": tok.encode(s).ids} for s in samples]

    try:
        write_gguf(dream_tied_W, dream_cfg, tok, mask, eos, canvas, probe_rows, expected)
    except ImportError as e:
        print("gguf not written:", e)

    # CoDA (Qwen3 layout: per-head q/k RMSNorm); its own generator, so the models above do not depend on it.
    from make_coda_fixture import write_coda
    write_coda(tok, canvas, probe_rows, expected)

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(HERE) for fn in fns)
    print(f"fixtures written, {total / 1e6:.2f} MB in {HERE}")


def write_gguf(W, cfg, tok, mask, eos, canvas, probe_rows, expected):
    """The Dream-tied model as llama.cpp's converter would lay it out (arch `dream`), with f32 norms and biases,
    f16 embeddings and Q8_0 projection matrices; expected logits come from the dequantised weights."""
    import gguf
    from gguf.quants import quantize, dequantize
    path = os.path.join(HERE, "dream_tied.gguf")
    w = gguf.GGUFWriter(path, "dream")
    w.add_block_count(cfg["layers"]); w.add_context_length(256); w.add_embedding_length(cfg["d"])
    w.add_feed_forward_length(cfg["ffn"]); w.add_head_count(cfg["nh"]); w.add_head_count_kv(cfg["nkv"])
    w.add_rope_freq_base(cfg["theta"]); w.add_layer_norm_rms_eps(cfg["eps"]); w.add_causal_attention(False)
    w.add_mask_token_id(mask); w.add_eos_token_id(eos); w.add_pad_token_id(eos)
    deq = {"embed": None, "layers": [], "final_norm": W["final_norm"]}

    def put(name, t, kind):
        a = t.numpy().astype(np.float32)
        if kind == "q8":
            q = quantize(a, gguf.GGMLQuantizationType.Q8_0)
            w.add_tensor(name, q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
            return torch.from_numpy(dequantize(q, gguf.GGMLQuantizationType.Q8_0).reshape(a.shape).copy())
        if kind == "f16":
            w.add_tensor(name, a.astype(np.float16))
            return torch.from_numpy(a.astype(np.float16).astype(np.float32))
        w.add_tensor(name, a)
        return t

    deq["embed"] = put("token_embd.weight", W["embed"], "f16")
    deq["head"] = deq["embed"]
    put("output_norm.weight", W["final_norm"], "f32")
    for i, L in enumerate(W["layers"]):
        p = f"blk.{i}."
        D = {"attn_norm": put(p + "attn_norm.weight", L["attn_norm"], "f32"),
             "ffn_norm": put(p + "ffn_norm.weight", L["ffn_norm"], "f32"),
             "q": put(p + "attn_q.weight", L["q"], "q8"), "k": put(p + "attn_k.weight", L["k"], "q8"),
             "v": put(p + "attn_v.weight", L["v"], "f16"), "o": put(p + "attn_output.weight", L["o"], "q8"),
             "bq": put(p + "attn_q.bias", L["bq"], "f32"), "bk": put(p + "attn_k.bias", L["bk"], "f32"),
             "bv": put(p + "attn_v.bias", L["bv"], "f32"),
             "gate": put(p + "ffn_gate.weight", L["gate"], "q8"), "up": put(p + "ffn_up.weight", L["up"], "q8"),
             "down": put(p + "ffn_down.weight", L["down"], "q8")}
        deq["layers"].append(D)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
    logits = ref_forward(deq, cfg, canvas)
    expected["models"]["dream_tied_gguf"] = {"logits": rows_json(logits, probe_rows), "greedy": {}}


if __name__ == "__main__":
    main()
