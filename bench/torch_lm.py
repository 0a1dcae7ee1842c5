#!/usr/bin/python3
"""PyTorch peer of sparselm's language models, for throughput comparisons.

The same architecture, regularisation and optimizer as sparselm (model/,
train/), written the way one would write it in plain PyTorch:

    embedding [V×E] (word dropout: a per-window Bernoulli scale per vocabulary row)
    → locked dropout → per layer: nn.LSTM (through torch._VF.lstm, so that
      DropConnect can mask weight_hh per window as AWD-LSTM's WeightDrop does)
      or EGRULayer (METHOD.md's equations, a Python loop over time) → locked dropout
    → decoder tied to the embedding → cross-entropy (mean over the window)
    → backward → clip_grad_norm_ → AdamW (weights decayed; biases not;
      EGRU thresholds with their own learning rate, no decay, clamped to [0, 1]).

The EGRU's step o = H(ĉ − ϑ) has the surrogate gradient
ψ(s) = γ·max(0, 1 − β|s|) (a custom autograd Function), and the event-rate
regulariser λ·mean(o) is added to the loss as in sparselm.

Differences from sparselm, all small next to the GEMMs:
  - nn.LSTM has two bias vectors; bias_hh is a zero buffer here (sparselm has one bias).
  - The decoder computes the full [T·B×V] logits at once (sparselm: 512 rows at a time).
  - AdamW uses torch.optim.AdamW (foreach off/on: --foreach).

Synthetic ids (uniform in [0, V)), the state carried across windows and
detached. Prints the median tokens/s over --repeats as JSON (the fields of
`sparselm bench --json`).

    /usr/bin/python3 bench/torch_lm.py --model egru --mode train --threads 2 --json
    /usr/bin/python3 bench/torch_lm.py --config <(sparselm bench train --print-config --json --steps 1 --repeats 1 --warmup 0)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

from torch_threads import pin
import time

# The small preset of train/preset.go (keep in sync, or pass --config).
SMALL = {
    "lstm": {
        "model": {"cell": "lstm", "vocab": 10000, "embed": 256, "hidden": [256, 256], "drop_word": 0.05,
                  "drop_input": 0.2, "drop_hidden": 0.2, "drop_output": 0.25, "drop_connect": 0.2},
        "optimizer": {"lr": 2e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01, "threshold_lr": 0},
        "clip": 0.25, "batch": 32, "bptt": 35,
    },
    "egru": {
        "model": {"cell": "egru", "vocab": 10000, "embed": 256, "hidden": [256, 256], "drop_word": 0.05,
                  "drop_input": 0.2, "drop_hidden": 0.2, "drop_output": 0.25, "drop_connect": 0.2,
                  "threshold_mean": 0.3, "learn_threshold": True, "pseudo_height": 3.6, "pseudo_width": 3.6,
                  "activity_reg": 0.1, "zero_state_window": False},
        "optimizer": {"lr": 2e-3, "beta1": 0.0, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1, "threshold_lr": 1e-3},
        "clip": 0.25, "batch": 32, "bptt": 35,
    },
}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="PyTorch throughput of sparselm's LSTM / EGRU language models.")
    ap.add_argument("--model", choices=["lstm", "egru"], default="lstm")
    ap.add_argument("--mode", choices=["train", "eval"], default="train")
    ap.add_argument("--config", help="JSON of `sparselm bench --print-config --json` (model, optimizer, clip, batch, bptt)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10, help="timed windows per repeat")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--vocab", type=int, default=0, help="override V")
    ap.add_argument("--batch", type=int, default=0, help="override B")
    ap.add_argument("--bptt", type=int, default=0, help="override T")
    ap.add_argument("--embed", type=int, default=0, help="override E (and the last layer's width)")
    ap.add_argument("--hidden", default="", help="override the layer widths, e.g. 256,256")
    ap.add_argument("--no-dropout", action="store_true")
    ap.add_argument("--foreach", action="store_true", help="AdamW's multi-tensor implementation")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    return ap.parse_args(argv)


def resolve_config(a) -> dict:
    if a.config:
        with open(a.config) as f:
            r = json.load(f)
        cfg = {"model": r["model"], "optimizer": r["optimizer"], "clip": r["clip"], "batch": r["batch"], "bptt": r["bptt"]}
    else:
        cfg = json.loads(json.dumps(SMALL[a.model]))
    m = cfg["model"]
    if a.vocab:
        m["vocab"] = a.vocab
    if a.embed:
        m["embed"] = a.embed
        m["hidden"][-1] = a.embed
    if a.hidden:
        m["hidden"] = [int(h) for h in a.hidden.split(",")]
    if a.batch:
        cfg["batch"] = a.batch
    if a.bptt:
        cfg["bptt"] = a.bptt
    if a.no_dropout:
        for k in ("drop_word", "drop_input", "drop_hidden", "drop_output", "drop_connect"):
            m[k] = 0.0
    return cfg


a = parse_args()
torch, threadpoolctl = pin(a.threads)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Spike(torch.autograd.Function):
    """o = H(s) forward; ∂o/∂s = γ·max(0, 1 − β|s|) backward."""

    @staticmethod
    def forward(ctx, s, height: float, width: float):
        ctx.save_for_backward(s)
        ctx.height, ctx.width = height, width
        return (s > 0).to(s.dtype)

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        psi = ctx.height * torch.clamp(1 - ctx.width * s.abs(), min=0)
        return grad * psi, None, None


class EGRULayer(nn.Module):
    """METHOD.md's EGRU, sparselm's layout: W [I×3H], R [H×3H] (gates u, r, z), b [3H], b_rz [H], theta [H]."""

    def __init__(self, I: int, H: int, cfg: dict):
        super().__init__()
        self.H = H
        s = 1 / H**0.5
        self.W = nn.Parameter(torch.empty(I, 3 * H).uniform_(-s, s))
        self.R = nn.Parameter(torch.empty(H, 3 * H).uniform_(-s, s))
        self.b = nn.Parameter(torch.empty(3 * H).uniform_(-s, s))
        self.b_rz = nn.Parameter(torch.empty(H).uniform_(-s, s))
        mu = cfg["threshold_mean"]
        beta = torch.distributions.Beta(3 * mu / (1 - mu), 3.0)
        self.theta = nn.Parameter(beta.sample((H,)).clamp(0, 1))
        self.height, self.width = cfg["pseudo_height"], cfg["pseudo_width"]

    def forward(self, x, state, R):
        """x [T×B×I], state (y, c) each [B×H], R the (DropConnect-masked) recurrent matrix.
        Returns (y [T×B×H], o [T×B×H], (y_T, c_T))."""
        T = x.shape[0]
        H = self.H
        y, c = state
        px = torch.addmm(self.b, x.reshape(-1, x.shape[-1]), self.W).view(T, -1, 3 * H)  # one GEMM for the window
        ys, os_ = [], []
        for t in range(T):
            rec = y @ R
            pu, pr, pz = px[t].split(H, dim=1)
            ru, rr, rz = rec.split(H, dim=1)
            u = torch.sigmoid(pu + ru)
            r = torch.sigmoid(pr + rr)
            z = torch.tanh(pz + r * (rz + self.b_rz))
            chat = u * c + (1 - u) * z
            o = Spike.apply(chat - self.theta, self.height, self.width)
            y = o * chat
            c = chat - o * self.theta
            ys.append(y)
            os_.append(o)
        return torch.stack(ys), torch.stack(os_), (y, c)


class LSTMLayer(nn.Module):
    """nn.LSTM's parameters and kernel (torch._VF.lstm), with the recurrent matrix passed in."""

    def __init__(self, I: int, H: int):
        super().__init__()
        self.H = H
        s = 1 / H**0.5
        self.weight_ih = nn.Parameter(torch.empty(4 * H, I).uniform_(-s, s))
        self.weight_hh = nn.Parameter(torch.empty(4 * H, H).uniform_(-s, s))
        self.bias_ih = nn.Parameter(torch.empty(4 * H).uniform_(-s, s))
        self.register_buffer("bias_hh", torch.zeros(4 * H))  # sparselm has a single bias

    def forward(self, x, state, R):
        h, c = state
        out, h1, c1 = torch._VF.lstm(x, (h.unsqueeze(0), c.unsqueeze(0)), [self.weight_ih, R, self.bias_ih, self.bias_hh],
                                     True, 1, 0.0, self.training, False, False)
        return out, None, (h1[0], c1[0])


class LM(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        m = cfg["model"]
        self.cfg = m
        V, E = m["vocab"], m["embed"]
        self.embedding = nn.Parameter(torch.empty(V, E).uniform_(-0.1, 0.1))
        self.dec_bias = nn.Parameter(torch.zeros(V))
        self.layers = nn.ModuleList()
        width = E
        for H in m["hidden"]:
            self.layers.append(LSTMLayer(width, H) if m["cell"] == "lstm" else EGRULayer(width, H, m))
            width = H

    def recurrent(self, layer):
        return layer.weight_hh if isinstance(layer, LSTMLayer) else layer.R

    def init_state(self, B):
        return [(torch.zeros(B, l.H), torch.zeros(B, l.H)) for l in self.layers]

    def forward(self, x, y, state):
        """x, y [T×B] int64. Returns (mean NLL + activity loss, new detached state)."""
        m, train = self.cfg, self.training
        T, B = x.shape
        emb = F.embedding(x, self.embedding)
        if train and m["drop_word"] > 0:  # a dropped word type is zero for the whole window
            scale = torch.bernoulli(torch.full((m["vocab"],), 1 - m["drop_word"])) / (1 - m["drop_word"])
            emb = emb * scale[x].unsqueeze(-1)
        h = locked(emb, m["drop_input"], train)
        new, events, total = [], [], 0
        for i, layer in enumerate(self.layers):
            R = self.recurrent(layer)
            if train and m["drop_connect"] > 0:
                R = F.dropout(R, m["drop_connect"], True)  # one DropConnect mask per window
            h, o, st = layer(h, state[i], R)
            new.append((st[0].detach(), st[1].detach()))
            if o is not None:
                events.append(o)
                total += o.numel()
            p = m["drop_output"] if i == len(self.layers) - 1 else m["drop_hidden"]
            h = locked(h, p, train)
        logits = F.linear(h.reshape(T * B, -1), self.embedding, self.dec_bias)
        loss = F.cross_entropy(logits, y.reshape(-1))
        if train and m.get("activity_reg", 0) > 0 and events:
            loss = loss + m["activity_reg"] * sum(o.sum() for o in events) / total
        return loss, new


def locked(x, p: float, train: bool):
    """Variational dropout: one mask [1×B×W] shared by the T steps of x [T×B×W]."""
    if not train or p == 0:
        return x
    mask = torch.bernoulli(x.new_full((1,) + x.shape[1:], 1 - p)) / (1 - p)
    return x * mask


def param_groups(model: LM, opt: dict):
    weights, biases, thresholds = [], [], []
    for name, p in model.named_parameters():
        if name.endswith("theta"):
            thresholds.append(p)
        elif name in ("embedding",) or name.endswith(("W", "R", "weight_ih", "weight_hh")):
            weights.append(p)
        else:
            biases.append(p)
    groups = [{"params": weights, "weight_decay": opt["weight_decay"]}, {"params": biases, "weight_decay": 0.0}]
    if thresholds and model.cfg.get("learn_threshold", True):
        groups.append({"params": thresholds, "weight_decay": 0.0, "lr": opt.get("threshold_lr") or opt["lr"]})
    return groups, thresholds


def blas_info() -> list:
    if threadpoolctl is None:
        return []
    return [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
            for i in threadpoolctl.threadpool_info()]


def main() -> int:
    cfg = resolve_config(a)
    torch.manual_seed(a.seed)
    m = cfg["model"]
    B, T, V = cfg["batch"], cfg["bptt"], m["vocab"]
    model = LM(cfg)
    o = cfg["optimizer"]
    groups, thresholds = param_groups(model, o)
    optim = torch.optim.AdamW(groups, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], foreach=a.foreach)
    params = [p for g in groups for p in g["params"]]
    windows = 4
    ids = torch.randint(0, V, ((windows * T + 1), B), dtype=torch.int64)
    state = model.init_state(B)

    if a.mode == "train":
        model.train()

        def step(i):
            nonlocal state
            w = i % windows
            x, y = ids[w * T : (w + 1) * T], ids[w * T + 1 : (w + 1) * T + 1]
            optim.zero_grad(set_to_none=False)
            loss, state = model(x, y, state)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg["clip"])
            optim.step()
            if thresholds:
                with torch.no_grad():
                    for t in thresholds:
                        t.clamp_(0, 1)
    else:
        model.eval()

        def step(i):
            nonlocal state
            w = i % windows
            x, y = ids[w * T : (w + 1) * T], ids[w * T + 1 : (w + 1) * T + 1]
            with torch.no_grad():
                _, state = model(x, y, state)

    n = 0
    for _ in range(a.warmup):
        step(n)
        n += 1
    rates, total = [], 0.0
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step(n)
            n += 1
        d = time.perf_counter() - t0
        total += d
        rates.append(a.steps * T * B / d)
    res = {
        "impl": "torch", "mode": a.mode, "cell": m["cell"], "threads": a.threads, "batch": B, "bptt": T, "vocab": V,
        "embed": m["embed"], "hidden": m["hidden"], "parameters": sum(p.numel() for p in model.parameters()),
        "steps": a.steps, "warmup": a.warmup, "repeats": a.repeats,
        "tokens_per_s": statistics.median(rates), "tokens_per_s_all": rates,
        "ms_per_step": 1e3 * total / (a.steps * a.repeats),
        "torch": torch.__version__, "torch_threads": torch.get_num_threads(), "foreach": a.foreach,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""), "blas": blas_info(),
    }
    if a.json:
        print(json.dumps(res))
    else:
        print(f"torch {a.mode}: {m['cell']} {m['hidden']} E={m['embed']} V={V}, batch {B} × BPTT {T}, {a.threads} threads: "
              f"{res['tokens_per_s']:.0f} tokens/s (median of {a.repeats} × {a.steps}), {res['ms_per_step']:.1f} ms/step, "
              f"BLAS {[(b['internal_api'], b['architecture']) for b in res['blas']]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
