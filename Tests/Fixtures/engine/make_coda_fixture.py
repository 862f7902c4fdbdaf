#!/usr/bin/env python3
"""The CoDA fixture: a tiny random-weight model in Salesforce CoDA-v0's layout (Qwen3 backbone), its reference
logits and greedy denoising result, added to expected.json beside the other models.

    pip install -r requirements.txt && python3 make_coda_fixture.py

(make_fixtures.py calls `write_coda` too, so regenerating everything keeps this model.)

Layout, as CoDA's own model code has it: Qwen3 tensor names, no Q/K/V bias, an RMSNorm over each head's head_dim
applied to queries and keys after the projection and before RoPE (`self_attn.q_norm` / `k_norm`, eps rms_norm_eps),
head_dim given explicitly and here unequal to hidden/heads, tied embeddings, bidirectional attention, and Dream's
logit shift (training scores row i against token i+1). The reference is transformers' Qwen3ForCausalLM with the
causal mask replaced by a full one, cross-checked against the plain PyTorch forward below.
"""
import json, math, os
import torch
from tokenizers import Tokenizer

import make_fixtures as mf

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "coda_tied"
# hidden 48 with 4 heads of 16 (q is 64 wide, k/v 32): head_dim deliberately not hidden/heads = 12.
CFG = dict(d=48, nh=4, nkv=2, hd=16, ffn=64, layers=2, eps=1e-6, theta=1_000_000.0)


def coda_forward(W, cfg, ids):
    """Plain PyTorch: logits [n, vocab], row i from hidden state i (no shift here), no causal mask."""
    nh, nkv, hd, eps = cfg["nh"], cfg["nkv"], cfg["hd"], cfg["eps"]
    n = len(ids)
    pos = torch.arange(n)
    x = W["embed"][torch.tensor(ids)]
    for L in W["layers"]:
        h = mf.rms_norm(x, L["attn_norm"], eps)
        q = mf.rms_norm((h @ L["q"].T).view(n, nh, hd), L["q_norm"], eps)
        k = mf.rms_norm((h @ L["k"].T).view(n, nkv, hd), L["k_norm"], eps)
        v = (h @ L["v"].T).view(n, nkv, hd)
        q = mf.rope(q, pos, cfg["theta"], 1.0)
        k = mf.rope(k, pos, cfg["theta"], 1.0)
        rep = nh // nkv
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        s = torch.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd)
        a = torch.einsum("hqk,khd->qhd", s.softmax(-1), v).reshape(n, nh * hd)
        x = x + a @ L["o"].T
        h = mf.rms_norm(x, L["ffn_norm"], eps)
        x = x + (torch.nn.functional.silu(h @ L["gate"].T) * (h @ L["up"].T)) @ L["down"].T
    return mf.rms_norm(x, W["final_norm"], eps) @ W["embed"].T


def random_coda_weights(cfg, vocab, gen, scale=0.25):
    d, nh, nkv, hd, ffn = cfg["d"], cfg["nh"], cfg["nkv"], cfg["hd"], cfg["ffn"]
    r = lambda *s: torch.randn(*s, generator=gen) * scale
    near1 = lambda n, spread=0.1: 1 + spread * torch.randn(n, generator=gen)
    W = {"embed": torch.randn(vocab, d, generator=gen), "final_norm": near1(d), "layers": []}
    for _ in range(cfg["layers"]):
        W["layers"].append({
            "attn_norm": near1(d), "ffn_norm": near1(d),
            # Norm weights well away from 1, so a norm applied per wrong head or with the wrong weights shows.
            "q_norm": near1(hd, 0.5), "k_norm": near1(hd, 0.5),
            "q": r(nh * hd, d), "k": r(nkv * hd, d), "v": r(nkv * hd, d), "o": r(d, nh * hd),
            "gate": r(ffn, d), "up": r(ffn, d), "down": r(d, ffn)})
    return W


def coda_tensors(W):
    """Qwen3 names; the tied head is left out, as save_pretrained does for tied embeddings."""
    t = {"model.embed_tokens.weight": W["embed"], "model.norm.weight": W["final_norm"]}
    for i, L in enumerate(W["layers"]):
        p = f"model.layers.{i}."
        t.update({p + "input_layernorm.weight": L["attn_norm"], p + "post_attention_layernorm.weight": L["ffn_norm"],
                  p + "self_attn.q_proj.weight": L["q"], p + "self_attn.k_proj.weight": L["k"],
                  p + "self_attn.v_proj.weight": L["v"], p + "self_attn.o_proj.weight": L["o"],
                  p + "self_attn.q_norm.weight": L["q_norm"], p + "self_attn.k_norm.weight": L["k_norm"],
                  p + "mlp.gate_proj.weight": L["gate"], p + "mlp.up_proj.weight": L["up"],
                  p + "mlp.down_proj.weight": L["down"]})
    return t


def hf_qwen3_logits(W, cfg, vocab, ids):
    """The same weights through transformers' Qwen3, every layer made non-causal with a full (all-zero) mask."""
    from transformers import Qwen3Config, Qwen3ForCausalLM
    hc = Qwen3Config(vocab_size=vocab, hidden_size=cfg["d"], intermediate_size=cfg["ffn"], head_dim=cfg["hd"],
                     num_hidden_layers=cfg["layers"], num_attention_heads=cfg["nh"],
                     num_key_value_heads=cfg["nkv"], rms_norm_eps=cfg["eps"], tie_word_embeddings=True,
                     attention_bias=False, max_position_embeddings=256, attn_implementation="eager")
    hc.rope_parameters = {"rope_type": "default", "rope_theta": cfg["theta"]}
    m = Qwen3ForCausalLM(hc).eval()
    sd = dict(coda_tensors(W), **{"lm_head.weight": W["embed"]})
    missing, unexpected = m.load_state_dict({k: v.clone() for k, v in sd.items()}, strict=False)
    assert not unexpected and all("rotary" in k for k in missing), (missing, unexpected)
    for layer in m.model.layers:
        layer.self_attn.is_causal = False
    n = len(ids)
    return m(input_ids=torch.tensor([ids]), attention_mask=torch.zeros(1, 1, n, n)).logits[0]


def write_coda(tok, canvas, probe_rows, expected):
    eos, mask = tok.token_to_id("<|endoftext|>"), tok.token_to_id("<|mask|>")
    V = tok.get_vocab_size()
    gen = torch.Generator().manual_seed(20251005)
    W = random_coda_weights(CFG, V, gen)
    logits = coda_forward(W, CFG, canvas)
    hf = hf_qwen3_logits(W, CFG, V, canvas)
    assert (hf - logits).abs().max() < 1e-4, "HF Qwen3 and the plain reference disagree"
    # Without the q/k norms the logits must differ clearly, or the fixture would not test them.
    plain = {**W, "layers": [{**L, "q_norm": torch.ones(CFG["hd"]), "k_norm": torch.ones(CFG["hd"])}
                             for L in W["layers"]]}
    assert (coda_forward(plain, CFG, canvas) - logits).abs().max() > 1e-2
    # Bidirectional: changing the last token changes the first row.
    alt = list(canvas); alt[-1] = (alt[-1] + 1) % V
    assert (coda_forward(W, CFG, alt)[0] - logits[0]).abs().max() > 1e-3
    cj = {"architectures": ["CoDALanguageModel"], "model_type": "CoDA", "hidden_size": CFG["d"],
          "head_dim": CFG["hd"], "intermediate_size": CFG["ffn"], "num_hidden_layers": CFG["layers"],
          "num_attention_heads": CFG["nh"], "num_key_value_heads": CFG["nkv"], "hidden_act": "silu",
          "rms_norm_eps": CFG["eps"], "rope_theta": CFG["theta"], "rope_scaling": None, "attention_bias": False,
          "attention_kernel": "flash_attention", "tie_word_embeddings": True, "vocab_size": V,
          "mask_token_id": mask, "eos_token_id": eos, "pad_token_id": eos, "bos_token_id": eos,
          "max_position_embeddings": 256, "torch_dtype": "float32"}
    mf.write_model(NAME, None, cj, coda_tensors(W), tok)
    entry = {"logits": mf.rows_json(logits, probe_rows), "greedy": {}}
    hole_start, hole = len(expected["prefix"]), expected["hole"]
    for alg in ["maskgit_plus", "entropy"]:
        out = mf.dream_sample(W, CFG, canvas, mask, steps=4, alg=alg, forward=coda_forward)
        entry["greedy"][alg] = {"steps": 4, "hole": out[hole_start:hole_start + hole]}
    expected["models"][NAME] = entry


def main():
    torch.set_grad_enabled(False)
    tok = Tokenizer.from_file(os.path.join(HERE, "tokenizer.json"))
    path = os.path.join(HERE, "expected.json")
    with open(path) as f:
        expected = json.load(f)
    canvas = expected["canvas"]
    hole_start = len(expected["prefix"])
    probe_rows = [0, hole_start - 1, hole_start, hole_start + 3, len(canvas) - 1]
    write_coda(tok, canvas, probe_rows, expected)
    with open(path, "w") as f:
        json.dump(expected, f, indent=1)
    size = sum(os.path.getsize(os.path.join(HERE, NAME, fn)) for fn in os.listdir(os.path.join(HERE, NAME)))
    print(f"{NAME} written ({size / 1e3:.0f} kB) and added to expected.json")


if __name__ == "__main__":
    main()
