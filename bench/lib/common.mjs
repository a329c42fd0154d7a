// Helpers shared by the bench scripts (losses, train, balance): the seeded PRNG and the PyTorch probe.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** mulberry32: seeded uniform [0, 1) */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Is torch importable from /usr/bin/python3? (Debian: apt-get install -y python3-torch) */
export function probeTorch() {
  const py = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0)
    return { ok: false, python: py, reason: `torch not importable from ${py} (apt-get install -y python3-torch)` };
  return { ok: true, python: py, version: r.stdout.trim() };
}
