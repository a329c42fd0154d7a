#!/usr/bin/env node
// Doc-comment coverage of the public surface, from TypeDoc's JSON (docs/api/api.json, `npx typedoc`): every export
// of every entry point (functions, classes, interfaces, types, constants) and, for functions, every parameter
// (@param) and a non-void result (@returns). Prints a table per entry; `--check` fails when an entry is below its
// floor in docs/api-coverage.json (a ratchet: raise the floors as comments land; the goal is 100%), `--update`
// rewrites the floors from this run. Members re-exported under several entries count in each.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const apiJson = join(root, 'docs/api/api.json');
const floorsFile = join(root, 'docs/api-coverage.json');
if (!existsSync(apiJson)) {
  console.error('docs/api/api.json is missing: run `npx typedoc` first');
  process.exit(2);
}
const project = JSON.parse(readFileSync(apiJson, 'utf8'));
const byId = new Map();
const index = (r) => {
  byId.set(r.id, r);
  for (const c of r.children ?? []) index(c);
};
index(project);

const KIND = { variable: 32, function: 64, class: 128, interface: 256, typeAlias: 2097152, reference: 4194304 };
const text = (c) =>
  (c?.summary ?? [])
    .map((p) => p.text)
    .join('')
    .trim();
const hasDoc = (r) => !!text(r.comment) || (r.signatures ?? []).some((s) => !!text(s.comment));

/** Problems of one exported reflection (empty: fully documented). */
function problems(r) {
  const target = r.kind === KIND.reference ? byId.get(r.target) : r;
  if (!target) return [];
  const out = [];
  if (!hasDoc(target)) out.push('no doc comment');
  if (target.kind === KIND.function)
    for (const sig of target.signatures ?? []) {
      for (const p of sig.parameters ?? []) if (!text(p.comment)) out.push(`@param ${p.name}`);
      const voidish = sig.type?.type === 'intrinsic' && ['void', 'undefined', 'never'].includes(sig.type.name);
      const promiseVoid =
        sig.type?.name === 'Promise' &&
        sig.type.typeArguments?.[0]?.type === 'intrinsic' &&
        sig.type.typeArguments[0].name === 'void';
      const returns = (sig.comment?.blockTags ?? []).some((t) => t.tag === '@returns');
      if (!voidish && !promiseVoid && !returns) out.push('@returns');
    }
  return out;
}

const entryName = (m) =>
  ({
    'kernels/src': '@m4kit/kernels',
    'kernels/src/node': '@m4kit/kernels/node',
    'kernels/src/advanced': '@m4kit/kernels/advanced',
    'sdk/src': '@m4kit/sdk',
    'sdk/src/node': '@m4kit/sdk/node',
    'sdk/src/options-entry': '@m4kit/sdk/options',
    'sdk/src/advanced': '@m4kit/sdk/advanced',
  })[m.name] ?? m.name;

const report = {};
const missing = {};
for (const m of project.children ?? []) {
  const name = entryName(m);
  let documented = 0;
  let total = 0;
  let complete = 0;
  missing[name] = [];
  for (const r of m.children ?? []) {
    total++;
    const p = problems(r);
    if (!p.includes('no doc comment')) documented++;
    if (!p.length) complete++;
    else missing[name].push(`${r.name}: ${p.join(', ')}`);
  }
  report[name] = { exports: total, documented, complete };
}

const pct = (a, b) => (b ? ((100 * a) / b).toFixed(1) : '100.0');
console.log('entry                      exports  doc comment   complete (@param/@returns)');
for (const [name, r] of Object.entries(report))
  console.log(
    `${name.padEnd(26)} ${String(r.exports).padStart(7)}  ${pct(r.documented, r.exports).padStart(6)}%     ` +
      `${pct(r.complete, r.exports).padStart(6)}%`,
  );
if (process.argv.includes('--missing'))
  for (const [name, list] of Object.entries(missing))
    if (list.length) console.log(`\n${name}:\n  ${list.join('\n  ')}`);

if (process.argv.includes('--update')) {
  const floors = Object.fromEntries(
    Object.entries(report).map(([n, r]) => [
      n,
      { documented: r.documented / r.exports, complete: r.complete / r.exports },
    ]),
  );
  writeFileSync(floorsFile, JSON.stringify(floors, null, 2) + '\n');
  console.log(`wrote ${floorsFile}`);
}
if (process.argv.includes('--check')) {
  const floors = JSON.parse(readFileSync(floorsFile, 'utf8'));
  const low = [];
  for (const [name, r] of Object.entries(report)) {
    const f = floors[name];
    if (!f) low.push(`${name}: no floor in docs/api-coverage.json`);
    else {
      if (r.documented / r.exports < f.documented - 1e-9)
        low.push(`${name}: ${pct(r.documented, r.exports)}% documented, floor ${(100 * f.documented).toFixed(1)}%`);
      if (r.complete / r.exports < f.complete - 1e-9)
        low.push(`${name}: ${pct(r.complete, r.exports)}% complete, floor ${(100 * f.complete).toFixed(1)}%`);
    }
  }
  if (low.length) {
    console.error(
      `doc coverage below its floor (document the new exports; --missing lists them):\n  ${low.join('\n  ')}`,
    );
    process.exit(1);
  }
  console.log('doc coverage: every entry at or above its floor');
}
