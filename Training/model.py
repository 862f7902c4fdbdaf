"""The default model: a bidirectional transformer in the LLaDA layout (LLaMA-style blocks without a causal mask).

RMSNorm (pre-norm), rotary position embeddings (rotate-half), multi-head attention over the whole sequence, SwiGLU
feed-forward (ff_proj = gate, up_proj = up, ff_out = down), no biases, output head tied to the token embedding.
Without `shift_logits` the logits at row i predict the token at position i (LLaDA); with it, row i predicts position
i+1 (Dream), which is what an autoregressive warm start leaves behind.

Parameter names follow LLaDA's checkpoints with the `model.transformer.` prefix dropped; export.py adds it back.
"""
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int = 8192
    d_model: int = 256
    n_layers: int = 4
    n_heads: int = 4
    mlp_hidden_size: int = 704  # width of EACH of ff_proj and up_proj
    max_sequence_length: int = 1024
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    # Dream-style logit shift: the hidden state at row i predicts the token at position i+1. It lets one network
    # be trained autoregressively first (causal attention, next-token loss) and then adapted to masked diffusion
    # without changing what each row predicts.
    shift_logits: bool = False

    def to_dict(self):
        return asdict(self)

    @staticmethod
    def swiglu_hidden(d_model, multiple=64):
        return int(round(8 * d_model / 3 / multiple)) * multiple


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return (x * self.weight.float()).to(dtype)


def rope_tables(seq_len, head_dim, theta, device):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim))
    pos = torch.arange(seq_len, device=device, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)  # [S, head_dim]
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


def apply_rope(x, cos, sin):
    # x: [B, H, S, hd]; cos/sin: [S, hd]
    return (x.float() * cos + rotate_half(x.float()) * sin).to(x.dtype)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.d_model
        self.n_heads = cfg.n_heads
        self.attn_norm = RMSNorm(d, cfg.rms_norm_eps)
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.attn_out = nn.Linear(d, d, bias=False)
        self.ff_norm = RMSNorm(d, cfg.rms_norm_eps)
        self.ff_proj = nn.Linear(d, cfg.mlp_hidden_size, bias=False)
        self.up_proj = nn.Linear(d, cfg.mlp_hidden_size, bias=False)
        self.ff_out = nn.Linear(cfg.mlp_hidden_size, d, bias=False)

    def forward(self, x, cos, sin, attn_mask=None, causal=False):
        B, S, D = x.shape
        H = self.n_heads
        h = self.attn_norm(x)
        q = self.q_proj(h).view(B, S, H, D // H).transpose(1, 2)
        k = self.k_proj(h).view(B, S, H, D // H).transpose(1, 2)
        v = self.v_proj(h).view(B, S, H, D // H).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=causal)
        x = x + self.attn_out(a.transpose(1, 2).reshape(B, S, D))
        h = self.ff_norm(x)
        x = x + self.ff_out(F.silu(self.ff_proj(h)) * self.up_proj(h))
        return x


class DiffusionLM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])
        self.ln_f = RMSNorm(cfg.d_model, cfg.rms_norm_eps)
        self._rope = {}
        self.reset_parameters()

    def reset_parameters(self):
        std = 0.02
        nn.init.normal_(self.wte.weight, std=std)
        for b in self.blocks:
            for lin in (b.q_proj, b.k_proj, b.v_proj, b.ff_proj, b.up_proj):
                nn.init.normal_(lin.weight, std=std)
            for lin in (b.attn_out, b.ff_out):
                nn.init.normal_(lin.weight, std=std / math.sqrt(2 * self.cfg.n_layers))

    def rope(self, S, device):
        key = (S, str(device))
        if key not in self._rope:
            self._rope[key] = rope_tables(S, self.cfg.d_model // self.cfg.n_heads, self.cfg.rope_theta, device)
        return self._rope[key]

    def hidden(self, ids, attn_mask=None, causal=False):
        """Final hidden states; `causal` applies a causal mask (the autoregressive warm start only)."""
        x = self.wte(ids)
        cos, sin = self.rope(ids.shape[1], ids.device)
        for b in self.blocks:
            x = b(x, cos, sin, attn_mask, causal)
        return self.ln_f(x)

    def logits_from_hidden(self, h):
        return F.linear(h, self.wte.weight)  # tied embeddings

    def forward(self, ids, attn_mask=None):
        return self.logits_from_hidden(self.hidden(ids, attn_mask))

    def predictions(self, ids, attn_mask=None):
        """Logits whose row p predicts the token at position p, whatever the layout (row 0 of a shifted model
        repeats row 0: nothing before it predicts position 0)."""
        lg = self(ids, attn_mask)
        if self.cfg.shift_logits:
            lg = torch.cat([lg[:, :1], lg[:, :-1]], dim=1)
        return lg

    def num_params(self, non_embedding=False):
        n = sum(p.numel() for p in self.parameters())
        return n - self.wte.weight.numel() if non_embedding else n


def grown_deeper(cfg: ModelConfig, state: dict, n_layers: int):
    """A deeper model that computes exactly what `state` computes: its blocks, with copies of some of them inserted
    right after their originals, each copy's output projections (attn_out, ff_out) zeroed so that it adds nothing
    to the residual stream until training moves it. Returns (config, state dict).

    Why: a model trained for hundreds of millions of tokens is worth more as the start of a larger one than random
    weights, which must first relearn what it knows (a larger model from scratch needed 416 M tokens to fall short
    of the smaller one it could have started from). A copy starts from its original's attention and feed-forward
    weights, so its inner projections already read useful features; zeroed outputs keep the start exact, and the
    gradient still reaches them (it is the product of their input and the loss's gradient, neither zero).
    Copies are spread evenly over the depth; more copies than blocks copy each block several times."""
    if n_layers < cfg.n_layers:
        raise ValueError(f"cannot grow {cfg.n_layers} layers into {n_layers}")
    extra = n_layers - cfg.n_layers
    copies = [0] * cfg.n_layers
    for k in range(extra):
        copies[int((k + 0.5) * cfg.n_layers / extra) % cfg.n_layers] += 1
    out = {k: v for k, v in state.items() if not k.startswith("blocks.")}
    j = 0
    for i in range(cfg.n_layers):
        block = {k[len(f"blocks.{i}."):]: v for k, v in state.items() if k.startswith(f"blocks.{i}.")}
        for c in range(1 + copies[i]):
            for name, v in block.items():
                v = v.clone()
                if c > 0 and name in ("attn_out.weight", "ff_out.weight"):
                    v.zero_()
                out[f"blocks.{j}.{name}"] = v
            j += 1
    return ModelConfig(**dict(cfg.to_dict(), n_layers=n_layers)), out
