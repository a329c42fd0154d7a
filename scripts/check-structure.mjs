// The structure check of `npm test` (its `lint` step): no import cycle inside any package's sources and no source
// file over 420 lines in packages/*/src and apps/demo/src (split by responsibility; ARCHITECTURE.md).
// Imports are read by TypeScript's own pre-processor (`ts.preProcessFile`: static, type-only, re-exports and dynamic
// `import()`, comments and strings ignored), relative specifiers resolved like the sources' `./x.js` → `./x.ts`;
// cycles are the strongly connected components of that graph. Written here rather than pinning madge (which
// reports the same cycles) because TypeScript is already a devDependency and the check is ~60 lines.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_LINES = 420;
const SOURCE = /\.(ts|tsx|mts|js|mjs)$/;
const dirs = [
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'src')),
  join(root, 'apps/demo/src'),
].filter((d) => existsSync(d));

const walk = (d) =>
  readdirSync(d).flatMap((e) => {
    const f = join(d, e);
    return statSync(f).isDirectory() ? walk(f) : SOURCE.test(e) && !e.endsWith('.d.ts') ? [f] : [];
  });

function resolveImport(from, spec) {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(js|mjs|ts|mts)$/, '');
  for (const c of [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, join(base, 'index.ts')])
    if (existsSync(c) && statSync(c).isFile()) return c;
  return null;
}

const problems = [];
for (const dir of dirs) {
  const files = walk(dir);
  const graph = new Map();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_LINES) problems.push(`${relative(root, f)}: ${lines} lines (at most ${MAX_LINES})`);
    const { importedFiles } = ts.preProcessFile(text, true, true);
    graph.set(f, [...new Set(importedFiles.map((i) => resolveImport(f, i.fileName)).filter(Boolean))]);
  }
  // Tarjan's strongly connected components: every component of more than one file (or a self-import) is a cycle
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v))
        problems.push(
          `import cycle: ${comp
            .map((f) => relative(root, f))
            .sort()
            .join(' ↔ ')}`,
        );
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
}

if (problems.length) {
  console.error(`structure check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`structure check: ${dirs.length} source folders, no import cycle, no file over ${MAX_LINES} lines`);
