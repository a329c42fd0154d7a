#!/usr/bin/env python3
"""PyTorch peer for bench/train.mjs: the same training step as m4kit's train() (float32, CPU).

Usage: train-torch.py LOSS B DIN DOUT REPS BUDGET_S THREADS   (LOSS: clip | siglip)
Step: gather a batch of frozen features, linear towers x·W + b (both modalities d_in → d_out), CLIP
(τ = exp(t) clamped at 100, symmetric cross-entropy) or SigLIP ((1/B)·Σ softplus(−z(τ cos + b))) loss,
autograd backward, clip_grad_norm_(1.0), AdamW (weight decay on the matrices only). Prints one JSON line:
{"ok": true, "ms": [...], "loss": L} or {"ok": false, "reason": ...}.
"""
import json
import math
import sys
import time


def main():
    kind, B, din, dout, reps, budget, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # pragma: no cover
        print(json.dumps({"ok": False, "reason": f"import torch failed: {e}"}))
        return
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(7)
    n = 2 * B
    img = torch.randn(n, din, generator=g)
    txt = torch.randn(n, din, generator=g)
    bound = 1 / math.sqrt(din)
    mk = lambda *s: ((torch.rand(*s, generator=g) * 2 - 1) * bound).requires_grad_()
    Wi, bi, Wt, bt = mk(din, dout), mk(dout), mk(din, dout), mk(dout)
    t = torch.tensor(math.log(1 / 0.07) if kind == "clip" else math.log(10.0), requires_grad=True)
    b = torch.tensor(-10.0, requires_grad=True) if kind == "siglip" else None
    scal = [t] + ([b] if b is not None else [])
    opt = torch.optim.AdamW([{"params": [Wi, Wt], "weight_decay": 0.01}, {"params": [bi, bt] + scal, "weight_decay": 0.0}], lr=1e-3)
    params = [Wi, bi, Wt, bt] + scal
    labels = torch.arange(B)
    sign = 2.0 * torch.eye(B) - 1.0

    def step(k):
        idx = torch.randperm(n, generator=g)[:B]
        opt.zero_grad(set_to_none=True)
        u = img[idx] @ Wi + bi
        w = txt[idx] @ Wt + bt
        x = F.normalize(u, dim=1)
        y = F.normalize(w, dim=1)
        s = x @ y.T
        if kind == "clip":
            z = t.exp().clamp(max=100.0) * s
            loss = 0.5 * (F.cross_entropy(z, labels) + F.cross_entropy(z.T, labels))
        else:
            z = t.exp() * s + b
            loss = -F.logsigmoid(sign * z).sum() / B
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss

    loss = step(0)  # warm-up
    ms = []
    t0 = time.perf_counter()
    for k in range(reps):
        a = time.perf_counter()
        loss = step(k + 1)
        ms.append((time.perf_counter() - a) * 1e3)
        if time.perf_counter() - t0 > budget:
            break
    print(json.dumps({"ok": True, "ms": ms, "loss": float(loss), "threads": threads, "torch": torch.__version__}))


main()
