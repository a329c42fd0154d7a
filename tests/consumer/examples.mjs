// The `@example` blocks of the published declarations, extracted from the installed packages' .d.ts files (what an
// editor shows a user) and run as they are: every ```js block under an @example tag becomes one .mjs file in the
// consumer folder, run with node (so the examples import the installed tarballs). An example that throws or exits
// non-zero fails the suite.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** [{ where, code }] for every distinct @example ```js block in the packages' declarations. */
export function extractExamples(nodeModules, packages) {
  const seen = new Map();
  for (const pkg of packages) {
    const dist = join(nodeModules, pkg, 'dist');
    for (const f of readdirSync(dist).filter((x) => /\.d\.ts$/.test(x))) {
      const text = readFileSync(join(dist, f), 'utf8');
      for (const m of text.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(?:export\s+)?(?:declare\s+)?(?:async\s+)?\w+\s+(\w+)/g)) {
        const body = m[1]
          .split('\n')
          .map((l) => l.replace(/^\s*\* ?/, ''))
          .join('\n');
        for (const ex of body.matchAll(/@example[^\n]*\n\s*```(?:js|javascript)\n([\s\S]*?)```/g)) {
          const code = ex[1].trim();
          if (!seen.has(code)) seen.set(code, `${pkg} ${m[2]}`);
        }
      }
    }
  }
  return [...seen].map(([code, where]) => ({ where, code }));
}
