// Chromium runner entry: runs every case in the page and hands results to Playwright.
import { allSuites } from '../suites.js';

interface Result {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

(globalThis as unknown as { __runSuites: (filter?: string) => Promise<Result[]> }).__runSuites = async (
  filter?: string,
) => {
  const results: Result[] = [];
  (globalThis as unknown as { __M4KIT_CI__: boolean }).__M4KIT_CI__ = !!(globalThis as unknown as { __CI__?: boolean })
    .__CI__;
  for (const suite of allSuites({ runtime: 'chromium' })) {
    for (const c of suite.cases) {
      if (filter && !c.name.includes(filter)) continue;
      const t0 = performance.now();
      try {
        await c.fn();
        results.push({ name: c.name, ok: true, ms: performance.now() - t0 });
      } catch (e) {
        const err = e as Error;
        results.push({
          name: c.name,
          ok: false,
          ms: performance.now() - t0,
          error: `${err?.name}: ${err?.message}\n${err?.stack ?? ''}`,
        });
      }
      console.log(
        `[case] ${results[results.length - 1].ok ? 'ok  ' : 'FAIL'} ${c.name} (${(performance.now() - t0).toFixed(0)} ms)`,
      );
    }
  }
  return results;
};
