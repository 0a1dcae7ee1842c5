#!/usr/bin/env python3
"""Open a sparselm checkpoint in PyTorch, and score text with it.

A sparselm checkpoint directory holds model.safetensors (every weight, the
model config as JSON in the metadata key "config") and vocab.txt (one word per
line, line i+1 is id i); see docs/checkpoints.md. For the LSTM,
safetensors.torch.load_file plus a few lines of PyTorch rebuild the model:

    import json, torch, torch.nn as nn
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = "runs/ptb/best/model.safetensors"
    t = load_file(path)
    with safe_open(path, "pt") as f:
        cfg = json.loads(f.metadata()["config"])
    # without the safetensors package: t, meta, _ = read_weights(path); cfg = json.loads(meta["config"])
    emb = nn.Embedding.from_pretrained(t["embedding"])          # [V×E]; decoder tied to it
    lstms = []
    for l, H in enumerate(cfg["hidden"]):
        W, R, b = t[f"layers.{l}.W"], t[f"layers.{l}.R"], t[f"layers.{l}.b"]
        lstm = nn.LSTM(W.shape[0], H)                            # gates i, f, g, o as in Go
        lstm.load_state_dict({"weight_ih_l0": W.T, "weight_hh_l0": R.T,
                              "bias_ih_l0": b, "bias_hh_l0": torch.zeros_like(b)})
        lstms.append(lstm)

    def lm(ids, state):                      # ids [T×B] int64; state: per layer (h, c) or None
        x, new = emb(ids), []
        for lstm, hc in zip(lstms, state):
            x, hc = lstm(x, hc)
            new.append(hc)
        return x @ t["embedding"].T + t["decoder.bias"], new    # logits [T×B×V]

The EGRU has no PyTorch counterpart: [EGRULayer] below implements the
equations of docs/method.md ("The EGRU layer"; forward only). [load_checkpoint]
builds either cell as an nn.Module, and [evaluate] computes perplexity and
activity sparsity the way sparselm's Go evaluator does. As a command:

    python3 tools/sparselm_torch.py CHECKPOINT_DIR TEXT_FILE [--batch 1] [--bptt 70] [--threads N] [--json] [--windows]
        [--reader auto|safetensors|builtin]

Dependencies: torch and numpy only. The official safetensors package reads the
weights when it is installed; otherwise the built-in reader below
(read_safetensors) does, because Debian's python3 has no safetensors package
(there is no python3-safetensors to apt-get install). The built-in reader
checks every rule of the format first (parse_safetensors), so a file it accepts
also loads with the official package; safetensors_layout_problems checks the
layout the official writer produces (train/torch_test.go runs both on
sparselm's checkpoints).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

try:  # optional: the official reader
    from safetensors import safe_open
except ImportError:  # Debian's python3: no safetensors package
    safe_open = None

WEIGHTS_FORMAT = "sparselm-weights-v1"
EOS, UNK = "<eos>", "<unk>"


# ---------------------------------------------------------------- safetensors
#
# The format (https://github.com/huggingface/safetensors, README "Format"):
#
#     8 bytes   N, the header length, a little-endian uint64
#     N bytes   the header: a UTF-8 JSON object
#     rest      the byte buffer, which the tensors tile exactly
#
# The header maps each tensor name to {"dtype", "shape", "data_offsets":
# [begin, end]} (byte offsets into the buffer, not the file); the optional key
# "__metadata__" holds a flat string-to-string map. Data is little-endian,
# row-major.

# Every dtype name of the format, with its size in bits (safetensors/src/tensor.rs, enum Dtype).
SAFETENSORS_DTYPE_BITS = {
    "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8,
    "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
    "C64": 64, "F64": 64, "I64": 64, "U64": 64,
}  # fmt: skip

# The dtypes the built-in reader turns into tensors: those numpy and torch
# both represent (torch 1.13, Debian's, has no uint16/32/64, bfloat16 or float8
# in numpy). sparselm writes F32 and U8 only.
_NUMPY_DTYPES = {
    "BOOL": np.dtype("?"), "U8": np.dtype("u1"), "I8": np.dtype("i1"), "I16": np.dtype("<i2"),
    "F16": np.dtype("<f2"), "I32": np.dtype("<i4"), "F32": np.dtype("<f4"), "I64": np.dtype("<i8"),
    "F64": np.dtype("<f8"),
}  # fmt: skip

# The largest header the reference reader accepts (MAX_HEADER_SIZE).
SAFETENSORS_MAX_HEADER = 100_000_000


class SafetensorsError(ValueError):
    """A file breaks a rule of the safetensors format."""


def _unique_keys(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise SafetensorsError(f"header: duplicate key {k!r}")
        d[k] = v
    return d


def _no_constants(name):
    raise SafetensorsError(f"header: {name} is not JSON")


def _is_uint(x) -> bool:
    return type(x) is int and x >= 0  # not bool, not float


def parse_safetensors(buf: bytes):
    """Checks buf, a whole safetensors file, against the format's rules and
    returns (N, metadata, entries): the header length, the "__metadata__" map
    ({} when absent or null) and [(name, dtype, shape, begin, end)] in buffer
    order. Raises SafetensorsError naming the rule and the tensor.

    The rules are the reference reader's (SafeTensors::read_metadata and
    Metadata::validate in safetensors/src/tensor.rs), plus the stricter ones of
    sparselm's Go reader (internal/safetensors): the header starts with '{'
    (the README's "MUST"), repeats no key ("disallowed") and has no key in a
    tensor entry but dtype, shape and data_offsets. So a file that passes
    here also loads with safetensors.torch.load_file."""
    if len(buf) < 8:
        raise SafetensorsError(f"{len(buf)} bytes: shorter than the 8-byte header length")
    n = int.from_bytes(buf[:8], "little")
    if n > SAFETENSORS_MAX_HEADER:
        raise SafetensorsError(f"header length {n} exceeds the {SAFETENSORS_MAX_HEADER}-byte limit")
    if 8 + n > len(buf):
        raise SafetensorsError(f"header length {n} runs past the end of the {len(buf)}-byte file")
    try:
        text = bytes(buf[8 : 8 + n]).decode("utf-8")
    except UnicodeDecodeError as e:
        raise SafetensorsError(f"header is not valid UTF-8: {e}") from None
    if not text.startswith("{"):
        raise SafetensorsError("header does not start with '{'")
    try:  # trailing JSON whitespace (the padding) is allowed, anything else is not
        header = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as e:
        raise SafetensorsError(f"header is not a valid JSON object: {e}") from None
    meta = header.pop("__metadata__", None)
    if meta is None:
        meta = {}
    elif not isinstance(meta, dict):
        raise SafetensorsError(f"__metadata__: expected an object, found {json.dumps(meta)}")
    for k, v in meta.items():
        if not isinstance(v, str):
            raise SafetensorsError(f"__metadata__: value of {k!r} is {json.dumps(v)}, not a string")
    entries = []
    for name, e in header.items():
        where = f"tensor {name!r}"
        if not isinstance(e, dict):
            raise SafetensorsError(f"{where}: expected an object, found {json.dumps(e)}")
        for key in ("dtype", "shape", "data_offsets"):
            if key not in e:
                raise SafetensorsError(f"{where}: missing {key}")
        extra = sorted(set(e) - {"dtype", "shape", "data_offsets"})
        if extra:
            raise SafetensorsError(f"{where}: unexpected key {extra[0]!r}")
        dtype, shape, offsets = e["dtype"], e["shape"], e["data_offsets"]
        if dtype not in SAFETENSORS_DTYPE_BITS:
            raise SafetensorsError(f"{where}: unknown dtype {json.dumps(dtype)}")
        if not isinstance(shape, list) or not all(_is_uint(d) for d in shape):
            raise SafetensorsError(f"{where}: shape {json.dumps(shape)} is not an array of non-negative integers")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_uint(o) for o in offsets):
            raise SafetensorsError(f"{where}: data_offsets {json.dumps(offsets)} is not two non-negative integers")
        begin, end = offsets
        if end < begin:
            raise SafetensorsError(f"{where}: data_offsets [{begin}, {end}] end before they begin")
        bits = math.prod(shape) * SAFETENSORS_DTYPE_BITS[dtype]
        if bits % 8:
            raise SafetensorsError(f"{where}: shape {shape} of {dtype} does not fill whole bytes")
        if end - begin != bits // 8:
            raise SafetensorsError(
                f"{where}: shape {shape} of {dtype} needs {bits // 8} bytes but data_offsets [{begin}, {end}] span {end - begin}"
            )
        entries.append((name, dtype, shape, begin, end))
    # The tensors, in offset order (the header's order is free), tile the buffer.
    entries.sort(key=lambda e: (e[3], e[4]))
    pos, prev = 0, None
    for name, _, _, begin, end in entries:
        if begin > pos:
            raise SafetensorsError(
                f"tensor {name!r}: data_offsets [{begin}, {end}] leave a gap of {begin - pos} unused bytes at [{pos}, {begin})"
            )
        if begin < pos:
            raise SafetensorsError(f"tensor {name!r}: data_offsets [{begin}, {end}] overlap tensor {prev!r}, which ends at {pos}")
        pos, prev = end, name
    size = len(buf) - 8 - n
    if pos != size:
        if pos > size:
            raise SafetensorsError(f"the tensors need {pos} bytes, but the data buffer has {size}")
        raise SafetensorsError(f"{size - pos} trailing bytes not covered by any tensor")
    return n, meta, entries


def safetensors_layout_problems(buf: bytes) -> list[str]:
    """How a valid file departs from the layout the reference writer produces
    (safetensors/src/tensor.rs, prepare), which sparselm's writer promises too:
    the header padded with spaces (0x20) to a multiple of 8 bytes, so that the
    buffer is 8-byte aligned in the file, and every tensor starting at a
    multiple of its element size. Readers do not require it (the reference one
    accepts any JSON whitespace and any length), but zero-copy and
    memory-mapped loading rely on it. Returns [] for a file laid out so."""
    n, _, entries = parse_safetensors(buf)
    problems = []
    if n % 8:
        problems.append(f"header length {n} is not a multiple of 8")
    text = bytes(buf[8 : 8 + n]).decode("utf-8")
    _, end = json.JSONDecoder().raw_decode(text)
    if text[end:].strip(" "):
        problems.append(f"header padded with {text[end:]!r}, not spaces alone")
    for name, dtype, _, begin, _ in entries:
        size = SAFETENSORS_DTYPE_BITS[dtype] // 8
        if size > 1 and begin % size:
            problems.append(f"tensor {name!r} ({dtype}) starts at byte {begin} of the buffer, not a multiple of {size}")
    return problems


def read_safetensors(path: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The built-in reader: returns the tensors and the metadata of the
    safetensors file at path, after parse_safetensors has checked it."""
    with open(path, "rb") as f:
        buf = f.read()
    try:
        n, meta, entries = parse_safetensors(buf)
    except SafetensorsError as e:
        raise SafetensorsError(f"{path}: {e}") from None
    out = {}
    for name, dtype, shape, begin, end in entries:
        dt = _NUMPY_DTYPES.get(dtype)
        if dt is None:
            raise SafetensorsError(
                f"{path}: tensor {name!r} has dtype {dtype}, which the built-in reader does not support (install safetensors)"
            )
        a = np.frombuffer(buf, dtype=dt, count=(end - begin) // dt.itemsize, offset=8 + n + begin)
        out[name] = torch.from_numpy(a.astype(dt.newbyteorder("="), copy=True).reshape(shape))
    return out, meta


READERS = ("auto", "safetensors", "builtin")


def read_weights(path: str, reader: str = "auto") -> tuple[dict[str, torch.Tensor], dict[str, str], str]:
    """Returns the tensors and the metadata of a safetensors file, and which
    reader read them: "safetensors" (the official package; reader "auto" takes
    it when it is installed) or "builtin" (read_safetensors)."""
    if reader not in READERS:
        raise ValueError(f"reader {reader!r}: want one of {', '.join(READERS)}")
    if reader == "auto":
        reader = "safetensors" if safe_open is not None else "builtin"
    if reader == "builtin":
        return (*read_safetensors(path), reader)
    if safe_open is None:
        raise RuntimeError("the safetensors package is not installed (pip install safetensors); the built-in reader needs none")
    with safe_open(path, "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}, reader


# ---------------------------------------------------------------- model


class EGRULayer(nn.Module):
    """One event-based GRU layer (docs/method.md), forward only, float32.

        u  = σ(W_u x_t + R_u y_{t−1} + b_u)
        r  = σ(W_r x_t + R_r y_{t−1} + b_r)
        z  = tanh(W_z x_t + r ⊙ (R_z y_{t−1} + b_rz) + b_z)
        ĉ  = u ⊙ c_{t−1} + (1 − u) ⊙ z
        o  = (ĉ − ϑ > 0);  y_t = o ⊙ ĉ;  c_t = ĉ − o ⊙ ϑ

    The parameters keep sparselm's input-major layout (x·W): W [I×3H] and
    R [H×3H] with the gates u, r, z side by side, b [3H], b_rz [H], theta [H].
    The recurrent input is the event output y, never c.

    forward(x [T×B×I], state=(y [1×B×H], c [1×B×H]) or None) returns
    (y for every step [T×B×H], (y_T, c_T)), shaped like nn.LSTM's results.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        G = 3 * hidden_size
        self.W = nn.Parameter(torch.zeros(input_size, G))
        self.R = nn.Parameter(torch.zeros(hidden_size, G))
        self.b = nn.Parameter(torch.zeros(G))
        self.b_rz = nn.Parameter(torch.zeros(hidden_size))
        self.theta = nn.Parameter(torch.zeros(hidden_size))

    def forward(self, x: torch.Tensor, state=None):
        T, B, _ = x.shape
        H = self.hidden_size
        if state is None:
            y = x.new_zeros(B, H)
            c = x.new_zeros(B, H)
        else:
            y, c = state[0].reshape(B, H), state[1].reshape(B, H)
        px = torch.matmul(x, self.W) + self.b  # all input projections of the window at once
        outs = []
        for t in range(T):
            rec = y @ self.R
            pu, pr, pz = px[t].split(H, dim=1)
            ru, rr, rz = rec.split(H, dim=1)
            u = torch.sigmoid(pu + ru)
            r = torch.sigmoid(pr + rr)
            z = torch.tanh(pz + r * (rz + self.b_rz))
            chat = u * c + (1 - u) * z
            o = (chat - self.theta > 0).to(chat.dtype)
            y = o * chat
            c = chat - o * self.theta
            outs.append(y)
        return torch.stack(outs), (y.unsqueeze(0), c.unsqueeze(0))


class SparseLM(nn.Module):
    """Embedding [V×E] → stacked LSTM or EGRU layers → decoder tied to the embedding.

    forward(ids [T×B] int64, state) returns (logits [T×B×V], new state); the state
    is a list with one (s, c) pair per layer, each [1×B×H] (s is h for the LSTM,
    the events y for the EGRU), or None for zeros. The per-layer outputs of the
    last call are kept in self.last_outputs (for activity sparsity).
    """

    def __init__(self, config: dict):
        super().__init__()
        self.config = config
        V, E, hidden = config["vocab"], config["embed"], config["hidden"]
        self.cell = config["cell"]
        self.embedding = nn.Embedding(V, E)
        self.layers = nn.ModuleList()
        width = E
        for H in hidden:
            if self.cell == "lstm":
                self.layers.append(nn.LSTM(width, H, 1))
            elif self.cell == "egru":
                self.layers.append(EGRULayer(width, H))
            else:
                raise ValueError(f"unknown cell {self.cell!r}")
            width = H
        self.decoder = nn.Linear(E, V)
        self.decoder.weight = self.embedding.weight  # tied
        self.masks: dict[str, torch.Tensor] = {}  # "layers.0.W" → bool tensor (True: kept), in sparselm's layout
        self.last_outputs: list[torch.Tensor] = []
        self.weights_reader = ""  # set by load_checkpoint: "safetensors" or "builtin"

    def init_state(self, B: int):
        return [(torch.zeros(1, B, l.hidden_size), torch.zeros(1, B, l.hidden_size)) for l in self.layers]

    def forward(self, ids: torch.Tensor, state=None):
        if state is None:
            state = self.init_state(ids.shape[1])
        x = self.embedding(ids)
        new, self.last_outputs = [], []
        zero_c = self.cell == "egru" and self.config.get("zero_state_window", False)
        for layer, (s, c) in zip(self.layers, state):
            if zero_c:  # the reference code's option: c starts at 0 in every window
                c = torch.zeros_like(c)
            x, st = layer(x, (s, c))
            new.append(st)
            self.last_outputs.append(x)
        return self.decoder(x), new


def _assign(param: torch.Tensor, value: torch.Tensor, name: str):
    if tuple(param.shape) != tuple(value.shape):
        raise ValueError(f"tensor {name!r}: shape {tuple(value.shape)}, the model expects {tuple(param.shape)}")
    with torch.no_grad():
        param.copy_(value)


def load_checkpoint(dir: str, reader: str = "auto"):
    """Loads a sparselm checkpoint directory; returns (model, vocab, config).

    model is a SparseLM in eval mode (float32), vocab the list of words (id i is
    vocab[i]) and config the model config from the weights metadata (see
    model/config.go for its fields). Pruning masks "mask.<name>" are applied
    (the weights are already zero there) and kept in model.masks. reader picks
    the safetensors reader (see read_weights); model.weights_reader says which
    one read the file.
    """
    tensors, meta, used_reader = read_weights(os.path.join(dir, "model.safetensors"), reader)
    if meta.get("format") != WEIGHTS_FORMAT:
        raise ValueError(f"{dir}: weights format {meta.get('format')!r}, want {WEIGHTS_FORMAT!r}")
    config = json.loads(meta["config"])
    with open(os.path.join(dir, "vocab.txt"), encoding="utf-8") as f:
        vocab = [w.rstrip("\r") for w in f.read().split("\n")]
    if vocab and vocab[-1] == "":
        vocab.pop()
    if len(vocab) != config["vocab"]:
        raise ValueError(f"{dir}: vocab.txt has {len(vocab)} words, the model {config['vocab']}")

    model = SparseLM(config)
    model.weights_reader = used_reader
    t = {k: v.to(torch.float32) for k, v in tensors.items() if not k.startswith("mask.")}
    for k, v in tensors.items():
        if k.startswith("mask."):
            name = k[len("mask.") :]
            if name not in t or tuple(t[name].shape) != tuple(v.shape):
                raise ValueError(f"{dir}: mask {k!r} matches no tensor of the same shape")
            m = v != 0
            model.masks[name] = m
            t[name] = t[name] * m
    used = set()

    def take(name):
        if name not in t:
            raise ValueError(f"{dir}: tensor {name!r} is missing")
        used.add(name)
        return t[name]

    _assign(model.embedding.weight, take("embedding"), "embedding")
    _assign(model.decoder.bias, take("decoder.bias"), "decoder.bias")
    for l, layer in enumerate(model.layers):
        p = f"layers.{l}."
        if config["cell"] == "lstm":
            W, R, b = take(p + "W"), take(p + "R"), take(p + "b")
            _assign(layer.weight_ih_l0, W.T, p + "W (transposed)")  # [4H×I]
            _assign(layer.weight_hh_l0, R.T, p + "R (transposed)")  # [4H×H]
            _assign(layer.bias_ih_l0, b, p + "b")
            with torch.no_grad():
                layer.bias_hh_l0.zero_()
        else:
            for name in ("W", "R", "b", "b_rz", "theta"):
                _assign(getattr(layer, name), take(p + name), p + name)
    extra = set(t) - used
    if extra:
        raise ValueError(f"{dir}: unexpected tensors for this config: {sorted(extra)}")
    model.eval()
    return model, vocab, config


# ---------------------------------------------------------------- data and evaluation

# Go's unicode.IsSpace, which sparselm splits on (Python's str.split() also
# splits on \x1c–\x1f; no real corpus contains them, but this keeps ids identical).
_SPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def tokenize(path: str, vocab: list[str]) -> list[int]:
    """Ids of the text file at path: every '\\n'-terminated line (and a final
    unterminated one) split on whitespace, followed by <eos>, as sparselm and
    the PyTorch word_language_model example do. Unknown words become <unk>."""
    ids = {w: i for i, w in enumerate(vocab)}
    if EOS not in ids:
        raise ValueError(f"vocabulary has no {EOS}")
    unk = ids.get(UNK)
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines:
        raise ValueError(f"{path}: empty file")
    out = []
    for n, line in enumerate(lines, 1):
        for w in _SPACE.split(line):
            if not w:
                continue
            i = ids.get(w)
            if i is None:
                if unk is None:
                    raise ValueError(f"{path}:{n}: word {w!r} is not in the vocabulary, which has no {UNK}")
                i = unk
            out.append(i)
        out.append(ids[EOS])
    return out


def batchify(ids, B: int) -> torch.Tensor:
    """[L×B]: the sequence trimmed to B·L tokens, stream b holding tokens [b·L, (b+1)·L)."""
    ids = torch.as_tensor(ids, dtype=torch.int64)
    L = len(ids) // B
    if B < 1 or L < 2:
        raise ValueError(f"{len(ids)} tokens are too few for {B} streams")
    return ids[: B * L].view(B, L).t().contiguous()


@torch.no_grad()
def evaluate(model: SparseLM, ids, batch: int = 1, bptt: int = 70, per_window: bool = False) -> dict:
    """Scores ids in B = batch streams and windows of bptt steps, carrying the
    state through the whole sequence. Returns ppl = exp(nll), nll (mean per
    predicted token, nats), tokens, sparsity_per_layer (fraction of exactly-zero
    layer outputs) and activity (the same over all layers). With per_window, also
    nonzero_per_window: for each window, the non-zero outputs of each layer."""
    model.eval()
    data = batchify(ids, batch)
    L = data.shape[0]
    state = model.init_state(batch)
    nll, tokens = 0.0, 0
    zeros = [0] * len(model.layers)
    outs = [0] * len(model.layers)
    windows = []
    for t0 in range(0, L - 1, bptt):
        T = min(bptt, L - 1 - t0)
        x, y = data[t0 : t0 + T], data[t0 + 1 : t0 + 1 + T]
        logits, state = model(x, state)
        losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")
        nll += losses.double().sum().item()
        tokens += y.numel()
        nonzero = []
        for l, o in enumerate(model.last_outputs):
            z = int((o == 0).sum())
            zeros[l] += z
            outs[l] += o.numel()
            nonzero.append(o.numel() - z)
        windows.append(nonzero)
    mean = nll / tokens
    r = {
        "ppl": math.exp(mean),
        "nll": mean,
        "tokens": tokens,
        "sparsity_per_layer": [z / n for z, n in zip(zeros, outs)],
        "activity": sum(zeros) / sum(outs),
    }
    if per_window:
        r["nonzero_per_window"] = windows
    return r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Evaluate a sparselm checkpoint in PyTorch.")
    ap.add_argument("checkpoint", help="checkpoint directory (holding model.safetensors and vocab.txt)")
    ap.add_argument("text", help="text file to score (one sentence per line)")
    ap.add_argument("--batch", type=int, default=1, help="parallel streams (1 scores every token but the first)")
    ap.add_argument("--bptt", type=int, default=70, help="window length")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--windows", action="store_true", help="also report each window's non-zero outputs per layer")
    ap.add_argument(
        "--reader",
        choices=READERS,
        default="auto",
        help="safetensors reader: the official package, the built-in one, or the official one when installed (default)",
    )
    a = ap.parse_args(argv)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.batch < 1 or a.bptt < 1:
        ap.error("--batch and --bptt must be positive")
    model, vocab, config = load_checkpoint(a.checkpoint, a.reader)
    r = evaluate(model, tokenize(a.text, vocab), a.batch, a.bptt, per_window=a.windows)
    r["reader"] = model.weights_reader
    if a.json:
        print(json.dumps(r))
    else:
        print(f"cell {config['cell']}, layers {config['hidden']}, vocab {config['vocab']} (read by the {r['reader']} reader)")
        print(f"tokens {r['tokens']}  nll {r['nll']:.6f}  ppl {r['ppl']:.4f}")
        print("sparsity per layer " + " ".join(f"{s:.4f}" for s in r["sparsity_per_layer"]) + f"  overall {r['activity']:.4f}")
        for i, w in enumerate(r.get("nonzero_per_window", [])):
            print(f"window {i}: non-zero outputs per layer {w}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
