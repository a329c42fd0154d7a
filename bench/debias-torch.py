#!/usr/bin/env python3
"""CPU peer for bench/debias.mjs: one BA training step (spec §2.2–2.4) with PyTorch autograd (float32).

Usage: debias-torch.py B Q D REPS BUDGET_S THREADS [WARM_Q]
Prints one JSON line: {"ok": true, "ms": [...], "loss": L, "maxrss_mb": ...} or {"ok": false, "reason": ...}.
The step matches bench/debias.mjs: EMA of the momentum MLPs, residual MLPs (mlp1 h = 512 on images, shared mlp2
h = 1024), L2 normalisation, banks [batch; queue] of B + Q rows, L = α·L_cd + (1 − α)·L_ba with the
momentum-mixed soft targets (mix 0.4, the epoch ≥ 5 step) and the counterfactual caption, backward, Adam,
enqueue. τ = 0.07, α = 0.3. Inputs: seeded N(0, 1) embeddings; queues: random unit rows.
The untimed warm-up step runs at queue WARM_Q (default Q; bench/debias.mjs --official passes 2048).
"""
import json
import resource
import sys
import time


def main():
    B, Q, D, reps, budget, threads = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                                      float(sys.argv[5]), int(sys.argv[6]))
    try:
        import copy
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except Exception as e:  # pragma: no cover
        print(json.dumps({"ok": False, "reason": f"import torch failed: {e}"}))
        return
    warm_q = int(sys.argv[7]) if len(sys.argv) > 7 else Q
    torch.set_num_threads(threads)
    torch.manual_seed(1234)

    def mlp(h):
        return nn.Sequential(nn.Linear(D, h), nn.ReLU(), nn.Linear(h, D), nn.ReLU())

    mlp1, mlp2 = mlp(512), mlp(1024)
    m1, m2 = copy.deepcopy(mlp1), copy.deepcopy(mlp2)
    for p in list(m1.parameters()) + list(m2.parameters()):
        p.requires_grad_(False)
    opt = torch.optim.Adam(list(mlp1.parameters()) + list(mlp2.parameters()), lr=1e-4)
    qI = F.normalize(torch.randn(warm_q, D), dim=1)
    qT = F.normalize(torch.randn(warm_q, D), dim=1)
    eI, eT1, eT2 = torch.randn(B, D), torch.randn(B, D), torch.randn(B, D)
    tau, alpha, mix = 0.07, 0.3, 0.4
    ptr = [0]

    def step():
        Q = qI.shape[0]
        with torch.no_grad():
            for a, b in ((m1, mlp1), (m2, mlp2)):
                for pm, p in zip(a.parameters(), b.parameters()):
                    pm.mul_(0.995).add_(p, alpha=0.005)
        opt.zero_grad(set_to_none=True)
        fI, fT = F.normalize(eI, dim=1), F.normalize(eT1, dim=1)
        gI = F.normalize(mlp2(mlp1(eI) + eI) + eI, dim=1)
        gT1 = F.normalize(mlp2(eT1) + eT1, dim=1)
        gT2 = F.normalize(mlp2(eT2) + eT2, dim=1)
        Iall = torch.cat([fI, qI])
        Tall = torch.cat([fT, qT])
        with torch.no_grad():
            gmI = F.normalize(m2(m1(eI) + eI) + eI, dim=1)
            gmT = F.normalize(m2(eT1) + eT1, dim=1)
            yi2t = (1 - mix) * F.softmax(fI @ Tall.T / tau, 1) + mix * F.softmax(gmI @ Tall.T / tau, 1)
            yt2i = (1 - mix) * F.softmax(fT @ Iall.T / tau, 1) + mix * F.softmax(gmT @ Iall.T / tau, 1)
        lpT = F.log_softmax((fT - gT1) @ Tall.T / tau, 1)
        lpI = F.log_softmax((fI - gI) @ Iall.T / tau, 1)
        ba = F.kl_div(lpI, lpT, reduction="batchmean", log_target=True)
        i2t = -(yi2t * F.log_softmax(gI @ Tall.T / tau, 1)).sum(1).mean()
        t2i = -(yt2i * F.log_softmax(gT2 @ Iall.T / tau, 1)).sum(1).mean()
        loss = alpha * (i2t + t2i) / 2 + (1 - alpha) * ba
        loss.backward()
        opt.step()
        with torch.no_grad():
            idx = (torch.arange(B) + ptr[0]) % Q
            qI[idx] = fI
            qT[idx] = fT
            ptr[0] = (ptr[0] + B) % Q
        return float(loss)

    ms = []
    loss = step()  # warm-up
    if warm_q != Q:
        qI = F.normalize(torch.randn(Q, D), dim=1)
        qT = F.normalize(torch.randn(Q, D), dim=1)
        ptr[0] = 0
    t0 = time.perf_counter()
    for _ in range(reps):
        a = time.perf_counter()
        loss = step()
        ms.append((time.perf_counter() - a) * 1e3)
        if time.perf_counter() - t0 > budget:
            break
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"ok": True, "ms": ms, "loss": loss, "maxrss_mb": rss, "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
