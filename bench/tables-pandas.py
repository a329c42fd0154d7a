# pandas peer for bench/tables.mjs: the pattern path's table work in pandas (the baseline):
#   read_csv -> groupby(pattern columns).size() -> q per pattern -> merge q back on the pattern columns -> to_csv.
# The solve itself is left out (it takes milliseconds on the counts); q per pattern is a placeholder
# (count / max count) so the merge and the write move the same bytes as m4kit's output (row, q, keep).
#   python3 bench/tables-pandas.py IN.csv OUT.csv col1,col2,...    -> prints one JSON line of phase timings (s)
import json
import sys
import time

import numpy as np
import pandas as pd


def main():
    src, out, cols = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    t0 = time.perf_counter()
    df = pd.read_csv(src, dtype=str, keep_default_na=False)
    t1 = time.perf_counter()
    pat = df.groupby(cols, sort=False).size().rename("n").reset_index()
    t2 = time.perf_counter()
    pat["q"] = pat["n"] / pat["n"].max()
    res = df[cols].merge(pat[cols + ["q"]], on=cols, how="left")
    u = np.random.default_rng(0).random(len(res))
    q = res["q"].to_numpy()
    pd.DataFrame({"row": np.arange(1, len(res) + 1), "q": q, "keep": u < q}).to_csv(out, index=False)
    t3 = time.perf_counter()
    phases = {"read": t1 - t0, "groupby": t2 - t1, "merge_write": t3 - t2, "total": t3 - t0}
    print(json.dumps({**phases, "patterns": len(pat), "pandas": pd.__version__}))


if __name__ == "__main__":
    main()
