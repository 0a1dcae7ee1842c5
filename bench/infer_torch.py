#!/usr/bin/python3
"""PyTorch dense batch-1 inference of sparselm's models, for bench/compare_infer.sh.

One token at a time, the state carried, under torch.inference_mode, the way
`sparselm bench infer` times its engines (infer/bench.go): --warmup untimed
tokens, then --repeats runs of --steps tokens, the median ns per token; once
for the whole model and once for the layers alone:

    whole model   embedding row → every layer's step → logits [V] = Emb·h + bias (decoder tied to the embedding)
    layers        embedding row → every layer's step (no decoder)

The EGRU step is docs/method.md's (model/egru.go), sparselm's layout W [I×G],
R [H×G], G = 3H with the gates u, r, z side by side:

    gx = x·W + b;  gr = y₋·R
    u = σ(gx_u + gr_u);  r = σ(gx_r + gr_r);  z = tanh(gx_z + r ⊙ (gr_z + b_rz))
    ĉ = u ⊙ c₋ + (1 − u) ⊙ z;  o = H(ĉ − ϑ);  y = o ⊙ ĉ;  c = ĉ − o ⊙ ϑ

The products are matrix-vector products on 1-D tensors (torch.addmv, which
Debian's torch hands to BLAS sgemv), the decoder's too. --matvec mm makes
the EGRU layers multiply [1×I] rows instead (torch.addmm, as nn.Linear
does), which torch hands to sgemm, several times slower at batch 1 on
OpenBLAS 0.3.21 (it packs the whole matrix at every call). The LSTM is a
stack of torch.nn.LSTM modules (one per layer, widths differ), stepped with
sequence length 1: PyTorch's own kernel, whatever it does at batch 1.

Weights are random and dense: PyTorch computes every product whatever the
zeros, so pruning would not change its time. The EGRU's thresholds are set
as sparselm's SetActivity does (infer/bench.go): per layer, the
(1 − --active)-quantile of ĉ on --calib random tokens, over 2 rounds; the
measured fraction of firing units is reported (it does not change the
time of a dense step, only the values).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/infer_torch.py --cell egru --threads 1 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

from torch_threads import pin
import time


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="PyTorch dense batch-1 inference (tokens/s) of an EGRU or LSTM language model.")
    ap.add_argument("--cell", choices=["egru", "lstm"], default="egru")
    ap.add_argument("--vocab", type=int, default=10000, help="V")
    ap.add_argument("--embed", type=int, default=750, help="E (the last layer's width too: the decoder is tied)")
    ap.add_argument("--hidden", default="1350,1350,750", help="layer widths; the last must equal --embed")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (and OpenBLAS's threads)")
    ap.add_argument("--matvec", choices=["mv", "mm"], default="mv", help="EGRU products: 1-D addmv (sgemv) or [1×I] addmm (sgemm)")
    ap.add_argument("--steps", type=int, default=100, help="timed tokens per repeat")
    ap.add_argument("--warmup", type=int, default=20, help="untimed tokens before timing")
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats; ns/token is their median")
    ap.add_argument("--active", type=float, default=0.2, help="EGRU: target fraction of units firing per step")
    ap.add_argument("--calib", type=int, default=32, help="EGRU: calibration tokens for the thresholds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    a.hidden = [int(h) for h in a.hidden.split(",") if h]
    if not a.hidden or a.hidden[-1] != a.embed:
        ap.error(f"--hidden {a.hidden}: the last width must equal --embed {a.embed} (the decoder is tied to the embedding)")
    if min(a.hidden + [a.embed, a.vocab, a.threads, a.steps, a.repeats, a.calib]) < 1 or a.warmup < 0:
        ap.error("sizes, --threads, --steps, --repeats and --calib must be positive, --warmup not negative")
    if not 0 < a.active < 1:
        ap.error(f"--active {a.active}: must be in (0, 1)")
    return a


a = parse_args()
torch, threadpoolctl = pin(a.threads)


def uniform(*shape, scale):
    return torch.empty(*shape).uniform_(-scale, scale)


class EGRU:
    """One EGRU layer at batch 1: W [I×G], R [H×G], b [G], b_rz [H], ϑ [H]; state y, c [H]."""

    def __init__(self, I, H, matvec):
        s = 1 / H**0.5
        self.H, self.matvec = H, matvec
        self.W, self.R = uniform(I, 3 * H, scale=s), uniform(H, 3 * H, scale=s)
        self.b, self.b_rz = uniform(3 * H, scale=s), uniform(H, scale=s)
        self.theta = torch.zeros(H)
        # W.t() is a transposed view: addmv computes x·W with one pass over W as stored.
        self.Wt, self.Rt = self.W.t(), self.R.t()
        self.reset()

    def reset(self):
        self.y, self.c = torch.zeros(self.H), torch.zeros(self.H)

    def step(self, x):
        H = self.H
        if self.matvec == "mv":
            gx = torch.addmv(self.b, self.Wt, x)
            gr = torch.mv(self.Rt, self.y)
        else:
            gx = torch.addmm(self.b, x.view(1, -1), self.W).view(-1)
            gr = torch.mm(self.y.view(1, -1), self.R).view(-1)
        u = torch.sigmoid(gx[:H] + gr[:H])
        r = torch.sigmoid(gx[H : 2 * H] + gr[H : 2 * H])
        z = torch.tanh(gx[2 * H :] + r * (gr[2 * H :] + self.b_rz))
        chat = u * self.c + (1 - u) * z
        o = (chat > self.theta).to(chat.dtype)
        self.y = o * chat
        self.c = chat - o * self.theta
        self.chat = chat
        return self.y


class LSTM:
    """One torch.nn.LSTM layer stepped with sequence length 1 and batch 1; state h, c [1×1×H]."""

    def __init__(self, I, H):
        self.H = H
        self.mod = torch.nn.LSTM(I, H)
        self.mod.eval()
        self.reset()

    def reset(self):
        self.state = (torch.zeros(1, 1, self.H), torch.zeros(1, 1, self.H))

    def step(self, x):
        out, self.state = self.mod(x.view(1, 1, -1), self.state)
        return out.view(-1)


class LM:
    """Embedding [V×E] → layers → tied decoder: logits [V] = Emb·h + bias."""

    def __init__(self, a):
        self.emb = uniform(a.vocab, a.embed, scale=0.1)
        self.bias = uniform(a.vocab, scale=0.1)
        self.layers, width = [], a.embed
        for H in a.hidden:
            self.layers.append(EGRU(width, H, a.matvec) if a.cell == "egru" else LSTM(width, H))
            width = H

    def reset(self):
        for l in self.layers:
            l.reset()

    def step_layers(self, token):
        h = self.emb[token]
        for l in self.layers:
            h = l.step(h)
        return h

    def step(self, token):
        return torch.addmv(self.bias, self.emb, self.step_layers(token))


def set_activity(lm, ids, active, rounds=2):
    """infer.SetActivity's calibration: per layer ϑ = the (1 − active)-quantile of ĉ over ids."""
    for _ in range(rounds):
        lm.reset()
        chats = [[] for _ in lm.layers]
        for t in ids:
            lm.step_layers(t)
            for i, l in enumerate(lm.layers):
                chats[i].append(l.chat)
        for i, l in enumerate(lm.layers):
            s = torch.sort(torch.cat(chats[i])).values
            k = min(len(s) - 1, int((1 - active) * len(s)))
            l.theta.fill_(float(s[k]))


def bench(step, ids, a):
    """Median ns per token over a.repeats runs of a.steps tokens after a.warmup, ids cycled."""
    n = 0

    def run(count):
        nonlocal n
        for _ in range(count):
            step(ids[n % len(ids)])
            n += 1

    run(a.warmup)
    per = []
    for _ in range(a.repeats):
        t0 = time.perf_counter_ns()
        run(a.steps)
        per.append((time.perf_counter_ns() - t0) / a.steps)
    ns = statistics.median(per)
    return {"ns_per_token": ns, "tokens_per_s": 1e9 / ns, "ns_per_token_all": per}


def main():
    torch.manual_seed(a.seed)
    res = {"impl": "torch", "cell": a.cell, "threads": a.threads, "matvec": a.matvec if a.cell == "egru" else "nn.LSTM",
           "vocab": a.vocab, "embed": a.embed, "hidden": a.hidden, "steps": a.steps, "warmup": a.warmup, "repeats": a.repeats,
           "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
           "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "")}
    with torch.no_grad():  # nn.LSTM's parameters cannot be created as inference tensors
        lm = LM(a)
    with torch.inference_mode():
        res["parameters"] = lm.emb.numel() + lm.bias.numel() + sum(
            sum(p.numel() for p in l.mod.parameters()) if a.cell == "lstm" else l.W.numel() + l.R.numel() + l.b.numel() + 2 * l.H
            for l in lm.layers)
        ids = torch.randint(0, a.vocab, (a.steps + a.warmup,)).tolist()
        if a.cell == "egru":
            set_activity(lm, torch.randint(0, a.vocab, (a.calib,)).tolist(), a.active)
            res["active_target"] = a.active
        lm.reset()
        res["whole"] = bench(lm.step, ids, a)
        if a.cell == "egru":  # the fraction of units that fired on the timed tokens of the whole-model run
            lm.reset()
            fired = [0.0] * len(lm.layers)
            for t in ids:
                lm.step_layers(t)
                for i, l in enumerate(lm.layers):
                    fired[i] += float((l.y != 0).sum()) / l.H / len(ids)
            res["active"] = fired
        lm.reset()
        res["layers"] = bench(lm.step_layers, ids, a)
    if threadpoolctl is not None:
        res["blas"] = [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
                       for i in threadpoolctl.threadpool_info()]
    if a.json:
        print(json.dumps(res))
    else:
        act = f", active {'/'.join(f'{x:.2f}' for x in res['active'])}" if "active" in res else ""
        print(f"torch {res['torch']} {a.cell} {a.hidden} E={a.embed} V={a.vocab}, batch 1, {a.threads} thread(s), {res['matvec']}: "
              f"whole {res['whole']['tokens_per_s']:.1f} tokens/s ({res['whole']['ns_per_token'] / 1e6:.2f} ms), "
              f"layers {res['layers']['tokens_per_s']:.1f} tokens/s{act} (median of {a.repeats} × {a.steps} after {a.warmup})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
