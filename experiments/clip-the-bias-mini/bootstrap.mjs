#!/usr/bin/env node
// Installs this experiment's data packages (≈ 530 MB unpacked: emoji images, GloVe) into its own node_modules,
// outside the root workspace install, when they are missing: npm ci --prefix <here> --ignore-scripts; and
// Debian's librsvg2-bin (rsvg-convert, rasterises the OpenMoji SVGs of the out-of-domain test set) when it is
// missing and this runs as root on Debian (otherwise run.mjs stops with a message naming the package).
// Idempotent and instant when everything is present. Node built-ins only.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const deps = Object.keys(JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).dependencies);
const missing = deps.filter((d) => !existsSync(join(here, 'node_modules', d, 'package.json')));
if (missing.length) {
  console.error(
    `[experiment] installing data packages (${missing.join(', ')}) into experiments/clip-the-bias-mini/node_modules ...`,
  );
  const npm = ['ci', '--prefix', here, '--ignore-scripts', '--no-audit', '--no-fund'];
  // serialise with other npm installs in this checkout when flock exists (it does on Debian)
  const hasFlock = spawnSync('sh', ['-c', 'command -v flock'], { stdio: 'ignore' }).status === 0;
  const r = hasFlock
    ? spawnSync('flock', ['/tmp/m4kit-npm.lock', 'npm', ...npm], { stdio: 'inherit' })
    : spawnSync('npm', npm, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('[experiment] npm ci failed for experiments/clip-the-bias-mini');
    process.exit(r.status ?? 1);
  }
}

const hasRsvg = spawnSync('sh', ['-c', 'command -v rsvg-convert'], { stdio: 'ignore' }).status === 0;
if (!hasRsvg && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  console.error('[experiment] installing librsvg2-bin (rsvg-convert) for the OpenMoji test images ...');
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'librsvg2-bin'], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('[experiment] apt-get install librsvg2-bin failed');
    process.exit(r.status ?? 1);
  }
}
