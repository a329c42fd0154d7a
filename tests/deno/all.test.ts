// Deno runner: the same suites, bundled to tests/.out/suites.js (see tests/build-bundles.mjs).
// @ts-nocheck — Deno globals
import { allSuites } from '../.out/suites.js';

for (const suite of allSuites({ runtime: 'deno' })) {
  for (const c of suite.cases) {
    Deno.test({ name: c.name, fn: c.fn, sanitizeResources: false, sanitizeOps: false });
  }
}
