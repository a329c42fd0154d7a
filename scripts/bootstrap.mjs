#!/usr/bin/env node
// Makes a fresh clone runnable: system GPU drivers (Mesa lavapipe, Chromium) and npm dependencies.
// Idempotent and quick when everything is present. Uses only Node built-ins (runs before `npm ci`).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (m) => console.error(`[bootstrap] ${m}`);

function mesaOk() {
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'mesa-vulkan-drivers'], { encoding: 'utf8' });
    return Number.parseInt(v, 10) >= 24;
  } catch {
    return false;
  }
}

if (process.platform === 'linux' && existsSync('/usr/bin/apt-get') && (!mesaOk() || !existsSync('/usr/bin/chromium'))) {
  const isRoot = process.getuid?.() === 0;
  const hasSudo = spawnSync('sh', ['-c', 'command -v sudo'], { stdio: 'ignore' }).status === 0;
  if (isRoot || hasSudo) {
    log('installing Mesa lavapipe (bookworm-backports) and Chromium ...');
    const r = spawnSync('bash', [join(root, 'scripts/setup-system.sh')], { stdio: 'inherit' });
    if (r.status !== 0) log('system setup failed; GPU suites may be unavailable');
  } else {
    log('Mesa >= 24 lavapipe / chromium missing and no root: run scripts/setup-system.sh as root');
  }
}

if (!existsSync(join(root, 'node_modules/.package-lock.json')) || !existsSync(join(root, 'node_modules/webgpu'))) {
  log('installing npm dependencies (npm ci) ...');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (r.status !== 0) {
    log('npm ci failed; falling back to npm install');
    const r2 = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    });
    if (r2.status !== 0) process.exit(r2.status ?? 1);
  }
}
