# Vectorised CPU peer for bench/balance.mjs: the M4 moments pass (spec ALGORITHMS.md §1.5) in numpy.
# Started by balance.mjs as `python3 bench/balance-numpy.py DIR n m c`; reads DIR/{S,Y,u}.f32 (raw little-endian
# float32, row-major) once, then answers one JSON request per stdin line with one JSON line on stdout:
#   {"op": "pass", "W": [...m*(c+1)], "pi": [...m], "mu": x, "eta": x, "variant": "gemm" | "spec", "fixedQ"?: x}
#     -> {"ms": wall ms of the pass, "sumW", "sumQ", "D": [...], "qy": [...], "obj"}
#   {"op": "quit"}
# Both variants compute the same sums as MomentsEngine.pass (types.ts), in float32 with BLAS:
#   q = clip(eta + u - t - mu, 0, 1),  t_i = (s_i - pi)^T W [1; y_i]
#   "spec": t = (S-pi) @ W[:,0] + rowsum(((S-pi) @ W[:,1:]) * Y)          (the formula; an n x c temporary)
#   "gemm": t = (S-pi) @ W[:,0] + rowsum((S-pi) * (Y @ W[:,1:].T))        (same value, an n x m temporary)
#   D = (S-pi)^T (q[:,None] * [1, Y]) and qy = q^T Y, as one (m+1) x n by n x c product: [(S-pi)*q, q]^T @ Y
import json
import sys
import time

import numpy as np


def main():
    d, n, m, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    S = np.fromfile(f"{d}/S.f32", dtype=np.float32).reshape(n, m)
    Y = np.fromfile(f"{d}/Y.f32", dtype=np.float32).reshape(n, c)
    u = np.fromfile(f"{d}/u.f32", dtype=np.float32)
    info = {"ready": True, "numpy": np.__version__}
    try:
        from threadpoolctl import threadpool_info  # optional

        info["blas"] = [{k: x.get(k) for k in ("internal_api", "version", "num_threads", "architecture")} for x in threadpool_info()]
    except Exception:
        pass
    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("op") == "quit":
            break
        W = np.asarray(req["W"], dtype=np.float32).reshape(m, c + 1)
        pi = np.asarray(req["pi"], dtype=np.float32)
        mu = np.float32(req["mu"])
        eta = np.float32(req["eta"])
        variant = req.get("variant", "gemm")
        t0 = time.perf_counter()
        Sc = S - pi  # n x m
        if variant == "spec":
            t = Sc @ W[:, 0] + np.einsum("ij,ij->i", Sc @ W[:, 1:], Y)
        else:
            t = Sc @ W[:, 0] + np.einsum("ij,ij->i", Sc, Y @ W[:, 1:].T)
        q0 = eta + u
        q = np.clip(q0 - t - mu, 0, 1)
        if req.get("fixedQ") is not None:  # raw-data statistics (the solver's bound at q = 0 and q = 1)
            q = np.full(n, np.float32(req["fixedQ"]), dtype=np.float32)
        Z = np.empty((n, m + 1), dtype=np.float32)
        np.multiply(Sc, q[:, None], out=Z[:, :m])
        Z[:, m] = q
        ZY = Z.T @ Y  # (m+1) x c: rows k < m are D[k, 1:], row m is qy
        D = np.empty((m, c + 1), dtype=np.float64)
        D[:, 0] = Z[:, :m].sum(axis=0, dtype=np.float64)
        D[:, 1:] = ZY[:m]
        dq = q - q0
        obj = float(np.sum(0.5 * dq * dq + q * (t + mu), dtype=np.float64))
        sumQ = float(q.sum(dtype=np.float64))
        ms = (time.perf_counter() - t0) * 1e3
        out = {"ms": ms, "sumW": float(n), "sumQ": sumQ, "D": D.ravel().tolist(), "qy": ZY[m].astype(np.float64).tolist(), "obj": obj}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
