#!/usr/bin/env node
// Installs the benchmarks' peers (onnxruntime-node, onnxruntime-web, tfjs ≈ 500 MB) into bench/node_modules on
// demand, outside the root workspace install (which serves users): npm ci --prefix bench, with bench/package-lock.json.
// onnxruntime-node ships its CPU binaries; its postinstall only downloads GPU builds, so scripts are skipped and no
// host beyond the npm registry is needed. Idempotent and instant when everything is present. Node built-ins only.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const deps = Object.keys(JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).dependencies);
const missing = deps.filter((d) => !existsSync(join(here, 'node_modules', d, 'package.json')));
if (missing.length) {
  console.error(`[bench] installing benchmark peers (${missing.join(', ')}) into bench/node_modules ...`);
  const npm = ['ci', '--prefix', here, '--ignore-scripts', '--no-audit', '--no-fund'];
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  // serialise with other npm installs in this checkout when flock exists (it does on Debian)
  const hasFlock = spawnSync('sh', ['-c', 'command -v flock'], { stdio: 'ignore' }).status === 0;
  const r = hasFlock
    ? spawnSync('flock', ['/tmp/m4kit-npm.lock', 'npm', ...npm], { stdio: 'inherit', env })
    : spawnSync('npm', npm, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error('[bench] npm ci failed for bench/');
    process.exit(r.status ?? 1);
  }
}
