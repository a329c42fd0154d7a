#!/usr/bin/env python3
"""CLIP bench peer (bench/clip.mjs): an open_clip-architecture ViT in PyTorch (written from the architecture, no
open_clip import), random weights generated here (never committed), the image tower exported to ONNX, PyTorch CPU
timings.

  clip-torch.py make DIR [--preset vit-b-32|tiny] [--seed N]   weights (open_clip keys, F32 safetensors) +
                                                              open_clip_config.json + visual.onnx + textual.onnx
                                                              (opset 14)
  clip-torch.py text-onnx DIR                                 textual.onnx only (a folder made before it existed)
  clip-torch.py bench DIR --batches 1,64 --reps 1 --budget S [--tower image|text]
                                                              PyTorch CPU: first call + steady items/s per batch;
                                                              a batch whose estimate (from the smaller one) exceeds
                                                              what is left of S seconds is halved until it fits
  clip-torch.py features DIR --n 2 --seed 7 [--text]          float64 features of seeded inputs (JSON, a check)
Debian's python3-torch (torch 1.13); torch.onnx.export(..., opset_version=14), no dynamo argument.
"""
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

PRESETS = {
    "vit-b-32": dict(embed_dim=512, image_size=224, patch_size=32, v_width=768, v_layers=12, v_heads=12,
                     ctx=77, vocab=49408, t_width=512, t_heads=8, t_layers=12),
    "tiny": dict(embed_dim=16, image_size=16, patch_size=4, v_width=32, v_layers=2, v_heads=2,
                 ctx=9, vocab=50, t_width=24, t_heads=2, t_layers=2),
}


def arg(name, default=None):
    a = sys.argv
    return a[a.index(name) + 1] if name in a else default


def make_weights(p, seed):
    g = torch.Generator().manual_seed(seed)
    W = {}

    def rn(*shape, std):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * std).float()

    def block(prefix, w):
        h = 4 * w
        W[f"{prefix}.ln_1.weight"] = 1 + rn(w, std=0.1)
        W[f"{prefix}.ln_1.bias"] = rn(w, std=0.1)
        W[f"{prefix}.attn.in_proj_weight"] = rn(3 * w, w, std=w ** -0.5)
        W[f"{prefix}.attn.in_proj_bias"] = rn(3 * w, std=0.02)
        W[f"{prefix}.attn.out_proj.weight"] = rn(w, w, std=w ** -0.5)
        W[f"{prefix}.attn.out_proj.bias"] = rn(w, std=0.02)
        W[f"{prefix}.ln_2.weight"] = 1 + rn(w, std=0.1)
        W[f"{prefix}.ln_2.bias"] = rn(w, std=0.1)
        W[f"{prefix}.mlp.c_fc.weight"] = rn(h, w, std=w ** -0.5)
        W[f"{prefix}.mlp.c_fc.bias"] = rn(h, std=0.02)
        W[f"{prefix}.mlp.c_proj.weight"] = rn(w, h, std=h ** -0.5)
        W[f"{prefix}.mlp.c_proj.bias"] = rn(w, std=0.02)

    vw, ps, S = p["v_width"], p["patch_size"], p["image_size"]
    G = S // ps
    W["visual.conv1.weight"] = rn(vw, 3, ps, ps, std=(3 * ps * ps) ** -0.5)
    W["visual.class_embedding"] = rn(vw, std=vw ** -0.5)
    W["visual.positional_embedding"] = rn(G * G + 1, vw, std=vw ** -0.5)
    W["visual.ln_pre.weight"] = 1 + rn(vw, std=0.1)
    W["visual.ln_pre.bias"] = rn(vw, std=0.1)
    for i in range(p["v_layers"]):
        block(f"visual.transformer.resblocks.{i}", vw)
    W["visual.ln_post.weight"] = 1 + rn(vw, std=0.1)
    W["visual.ln_post.bias"] = rn(vw, std=0.1)
    W["visual.proj"] = rn(vw, p["embed_dim"], std=vw ** -0.5)
    tw = p["t_width"]
    W["token_embedding.weight"] = rn(p["vocab"], tw, std=0.02)
    W["positional_embedding"] = rn(p["ctx"], tw, std=0.01)
    for i in range(p["t_layers"]):
        block(f"transformer.resblocks.{i}", tw)
    W["ln_final.weight"] = 1 + rn(tw, std=0.1)
    W["ln_final.bias"] = rn(tw, std=0.1)
    W["text_projection"] = rn(tw, p["embed_dim"], std=tw ** -0.5)
    W["logit_scale"] = torch.tensor(math.log(1 / 0.07), dtype=torch.float32)
    return W


def save_safetensors(path, W):
    header, off, blobs = {}, 0, []
    for k, t in W.items():
        b = t.contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v["shape"])
    return out


def block_fwd(x, W, prefix, w, heads, causal):
    # open_clip ResidualAttentionBlock: x + attn(ln_1(x)); x + mlp(ln_2(x)); x: [n, L, w] (w a Python int: ONNX)
    L = x.shape[1]
    D = w // heads
    h = F.layer_norm(x, (w,), W[f"{prefix}.ln_1.weight"], W[f"{prefix}.ln_1.bias"], 1e-5)
    qkv = h @ W[f"{prefix}.attn.in_proj_weight"].T + W[f"{prefix}.attn.in_proj_bias"]
    q, k, v = qkv.split(w, dim=-1)
    q, k, v = (t.reshape(-1, L, heads, D).transpose(1, 2) for t in (q, k, v))
    s = (q * D ** -0.5) @ k.transpose(-1, -2)
    if causal:
        s = s.masked_fill(torch.triu(torch.ones(L, L, dtype=torch.bool), 1), float("-inf"))
    a = (s.softmax(-1) @ v).transpose(1, 2).reshape(-1, L, w)
    x = x + a @ W[f"{prefix}.attn.out_proj.weight"].T + W[f"{prefix}.attn.out_proj.bias"]
    h = F.layer_norm(x, (w,), W[f"{prefix}.ln_2.weight"], W[f"{prefix}.ln_2.bias"], 1e-5)
    f = F.gelu(h @ W[f"{prefix}.mlp.c_fc.weight"].T + W[f"{prefix}.mlp.c_fc.bias"])
    return x + f @ W[f"{prefix}.mlp.c_proj.weight"].T + W[f"{prefix}.mlp.c_proj.bias"]


class Visual(torch.nn.Module):
    def __init__(self, W, p):
        super().__init__()
        self.W = {k: v for k, v in W.items() if k.startswith("visual.")}
        for i, (k, v) in enumerate(self.W.items()):
            self.register_buffer(f"w{i}", v)  # so .double() and ONNX export see them
        self.names = list(self.W)
        self.p = p

    def forward(self, img):
        W = {k: getattr(self, f"w{i}") for i, k in enumerate(self.names)}
        p = self.p
        x = F.conv2d(img, W["visual.conv1.weight"], stride=p["patch_size"])  # [n, w, G, G]
        w = p["v_width"]
        x = x.flatten(2).transpose(1, 2)
        cls = W["visual.class_embedding"].reshape(1, 1, w).expand(x.shape[0], 1, w)
        x = torch.cat([cls, x], 1) + W["visual.positional_embedding"]
        x = F.layer_norm(x, (w,), W["visual.ln_pre.weight"], W["visual.ln_pre.bias"], 1e-5)
        for i in range(p["v_layers"]):
            x = block_fwd(x, W, f"visual.transformer.resblocks.{i}", w, p["v_heads"], False)
        x = F.layer_norm(x[:, 0], (w,), W["visual.ln_post.weight"], W["visual.ln_post.bias"], 1e-5)
        return x @ W["visual.proj"]


class Textual(torch.nn.Module):
    def __init__(self, W, p):
        super().__init__()
        self.W = {k: v for k, v in W.items() if not k.startswith("visual.") and k != "logit_scale"}
        for i, (k, v) in enumerate(self.W.items()):
            self.register_buffer(f"w{i}", v)
        self.names = list(self.W)
        self.p = p

    def forward(self, ids):
        return text_fwd({k: getattr(self, f"w{i}") for i, k in enumerate(self.names)}, self.p, ids)


def export_text(W, p, d):
    ids = torch.zeros(1, p["ctx"], dtype=torch.int64)
    ids[0, 0], ids[0, 1] = p["vocab"] - 2, p["vocab"] - 1
    torch.onnx.export(Textual(W, p).eval(), (ids,), os.path.join(d, "textual.onnx"), opset_version=14,
                      input_names=["tokens"], output_names=["features"],
                      dynamic_axes={"tokens": {0: "n"}, "features": {0: "n"}})


def random_tokens(p, n, seed):
    """start token, random ids, the end token (the largest id), zero padding: as the bench's JS side makes them"""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, p["vocab"] - 2, (n, p["ctx"]), generator=g)
    for i in range(n):
        e = 5 + (i * 7) % (p["ctx"] - 6)
        ids[i, 0] = p["vocab"] - 2
        ids[i, e] = p["vocab"] - 1
        ids[i, e + 1:] = 0
    return ids


def text_fwd(W, p, ids):
    x = W["token_embedding.weight"][ids] + W["positional_embedding"]
    for i in range(p["t_layers"]):
        x = block_fwd(x, W, f"transformer.resblocks.{i}", p["t_width"], p["t_heads"], True)
    x = F.layer_norm(x, (p["t_width"],), W["ln_final.weight"], W["ln_final.bias"], 1e-5)
    return x[torch.arange(ids.shape[0]), ids.argmax(-1)] @ W["text_projection"]


def config(p):
    return {
        "model_cfg": {
            "embed_dim": p["embed_dim"],
            "vision_cfg": {"image_size": p["image_size"], "layers": p["v_layers"], "width": p["v_width"],
                           "patch_size": p["patch_size"], "head_width": p["v_width"] // p["v_heads"]},
            "text_cfg": {"context_length": p["ctx"], "vocab_size": p["vocab"], "width": p["t_width"],
                         "heads": p["t_heads"], "layers": p["t_layers"]},
        },
        "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711],
                           "interpolation": "bicubic", "resize_mode": "shortest"},
    }


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    torch.set_num_threads(int(arg("--threads", os.cpu_count())))
    if cmd == "make":
        preset = arg("--preset", "vit-b-32")
        p = PRESETS[preset]
        os.makedirs(d, exist_ok=True)
        W = make_weights(p, int(arg("--seed", "20261205")))
        save_safetensors(os.path.join(d, "open_clip_model.safetensors"), W)
        with open(os.path.join(d, "open_clip_config.json"), "w") as f:
            json.dump({**config(p), "m4kit_preset": preset}, f, indent=1)
        vis = Visual(W, p).eval()
        x = torch.zeros(1, 3, p["image_size"], p["image_size"])
        torch.onnx.export(vis, (x,), os.path.join(d, "visual.onnx"), opset_version=14, input_names=["pixels"],
                          output_names=["features"], dynamic_axes={"pixels": {0: "n"}, "features": {0: "n"}})
        export_text(W, p, d)
        print(json.dumps({"ok": True, "dir": d, "params": sum(t.numel() for t in W.values())}))
        return
    cfg = json.load(open(os.path.join(d, "open_clip_config.json")))
    p = PRESETS[cfg["m4kit_preset"]]
    W = load_safetensors(os.path.join(d, "open_clip_model.safetensors"))
    S = p["image_size"]
    if cmd == "features":
        n, seed = int(arg("--n", "2")), int(arg("--seed", "7"))
        g = torch.Generator().manual_seed(seed)
        img = torch.randn(n, 3, S, S, generator=g, dtype=torch.float64)
        W64 = {k: v.double() for k, v in W.items()}
        with torch.no_grad():
            out = {"image": Visual(W64, p).double()(img).flatten().tolist(), "pixels": img.flatten().tolist()}
            if "--text" in sys.argv:
                ids = torch.randint(1, p["vocab"] - 1, (n, p["ctx"]), generator=g)
                for i in range(n):  # an end token (the largest id) then padding
                    e = 3 + i % (p["ctx"] - 3)
                    ids[i, e] = p["vocab"] - 1
                    ids[i, e + 1:] = 0
                out["tokens"] = ids.flatten().tolist()
                out["text"] = text_fwd(W64, p, ids).flatten().tolist()
        print(json.dumps(out))
        return
    if cmd == "text-onnx":
        export_text(W, p, d)
        print(json.dumps({"ok": True}))
        return
    if cmd == "bench":
        tower = arg("--tower", "image")
        model = (Visual if tower == "image" else Textual)(W, p).eval()
        budget = float(arg("--budget", "1e9"))
        want_reps = int(arg("--reps", "1"))
        start = time.perf_counter()
        res = []
        per_item = None
        for want in [int(x) for x in arg("--batches", "1,64").split(",")]:
            b, note = want, None
            left = budget - (time.perf_counter() - start)
            if per_item is not None and want > 1:
                while b > 1 and b * per_item * (1 + want_reps) > left:
                    b //= 2
                if b < want:
                    note = f"batch {want} estimated {want * per_item * (1 + want_reps):.0f} s > {left:.0f} s left of " \
                           f"the {budget:.0f} s budget: measured batch {b}"
                if b <= 1:
                    res.append({"batch": want, "status": "n/a", "reason": note})
                    continue
            x = torch.randn(b, 3, S, S) if tower == "image" else random_tokens(p, b, 7 + b)
            with torch.no_grad():
                t0 = time.perf_counter()
                model(x)
                first = time.perf_counter() - t0
                left = budget - (time.perf_counter() - start)
                reps = want_reps if first * want_reps <= left else 0
                t0 = time.perf_counter()
                for _ in range(reps):
                    model(x)
                dt = (time.perf_counter() - t0) / reps if reps else first
            per_item = dt / b
            r = {"batch": b, "status": "ok", "firstCallS": first, "secondsPerCall": dt, "itemsPerS": b / dt,
                 "imagesPerS": b / dt, "reps": reps}
            if b != want:
                r["requestedBatch"], r["note"] = want, note
            res.append(r)
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "tower": tower,
                          "results": res}))

main()
