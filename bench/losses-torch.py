#!/usr/bin/env python3
"""CPU peer for bench/losses.mjs: CLIP / SigLIP loss forward+backward with PyTorch autograd (float32).

Usage: losses-torch.py KIND N D REPS BUDGET_S THREADS   (KIND: clip | siglip)
Prints one JSON line: {"ok": true, "ms": [...], "loss": L, "maxrss_mb": ...} or {"ok": false, "reason": ...}.
Same definitions as spec §3 (CLIP: symmetric cross-entropy on exp(t).clamp(max=100)·cos; SigLIP:
(1/N)·Σ softplus(−z·(exp(t')·cos + b))). Inputs: seeded N(0, 1) embeddings, gradients w.r.t. U, W, t (and b).
"""
import json
import resource
import sys
import time


def main():
    kind, n, d, reps, budget, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # pragma: no cover
        print(json.dumps({"ok": False, "reason": f"import torch failed: {e}"}))
        return
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(1234)
    U = torch.randn(n, d, generator=g).requires_grad_()
    W = torch.randn(n, d, generator=g).requires_grad_()
    if kind == "clip":
        t = torch.tensor(2.6592600369, requires_grad=True)
        b = None
    else:
        t = torch.tensor(2.302585093, requires_grad=True)
        b = torch.tensor(-10.0, requires_grad=True)
    labels = torch.arange(n)

    def step():
        for p in (U, W, t, b):
            if p is not None:
                p.grad = None
        x = F.normalize(U, dim=1)
        y = F.normalize(W, dim=1)
        s = x @ y.T
        if kind == "clip":
            z = t.exp().clamp(max=100.0) * s
            loss = 0.5 * (F.cross_entropy(z, labels) + F.cross_entropy(z.T, labels))
        else:
            z = t.exp() * s + b
            sign = 2.0 * torch.eye(n) - 1.0
            loss = -F.logsigmoid(sign * z).sum() / n
        loss.backward()
        return float(loss)

    ms = []
    loss = step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(reps):
        a = time.perf_counter()
        loss = step()
        ms.append((time.perf_counter() - a) * 1e3)
        if time.perf_counter() - t0 > budget:
            break
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"ok": True, "ms": ms, "loss": loss, "maxrss_mb": rss, "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
