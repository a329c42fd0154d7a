// Balance panel: the options form (checked by the SDK's resolveBalanceOptions, the CLI's resolver), run with
// progress, cancel (terminates the worker; the table is sent to the fresh one).
import { resolveBalanceOptions } from '@m4kit/sdk/options';
import { CancelledError } from '../client';
import { $, selected, showError } from '../dom';
import type { BalanceDone, BalanceRequest, LoadResult } from '../protocol';
import { client, store } from '../store';
import { probe } from './probe';
import { renderResults } from './results';

/** Form field names for option errors ("keep rate η must be in (0, 1], got 1.5"). */
const FIELD_LABELS = {
  eta: 'keep rate η',
  pi: 'target shares π',
  epsRep: 'ε_R',
  epsAssoc: 'ε_A',
  softPenalty: 'V',
  seed: 'seed',
  combine: 'several attribute columns',
};

function parseOptions(): BalanceRequest {
  const field = (id: string) => ($(id) as HTMLInputElement).value;
  const optional = (id: string) => (field(id).trim() === '' ? undefined : field(id));
  const o = resolveBalanceOptions(
    {
      eta: field('eta').trim(),
      pi: optional('pi'),
      epsRep: field('eps-rep'),
      epsAssoc: field('eps-assoc'),
      softPenalty: optional('soft'),
      seed: field('seed'),
      missing: ($('missing') as HTMLSelectElement).value,
      combine: ($('combine') as HTMLSelectElement).value,
      path: ($('path') as HTMLSelectElement).value,
      backend: ($('backend') as HTMLSelectElement).value,
    },
    FIELD_LABELS,
  );
  return {
    attributes: selected('attributes'),
    labels: selected('labels'),
    missing: o.missing,
    combine: o.combine,
    eta: o.eta,
    pi: o.pi,
    epsRep: o.epsRep,
    epsAssoc: o.epsAssoc,
    softPenalty: Number.isFinite(o.softPenalty) ? o.softPenalty : undefined,
    seed: o.seed,
    path: o.path,
    backend: o.backend,
  };
}

function updateRunEnabled(): void {
  const s = store.get();
  ($('run') as HTMLButtonElement).disabled =
    s.busy || !s.table || selected('attributes').length === 0 || selected('labels').length === 0;
}

async function run(): Promise<void> {
  const table = store.get().table;
  if (!table || store.get().busy) return;
  showError('balance-error', null);
  let req: BalanceRequest;
  try {
    req = parseOptions();
  } catch (err) {
    showError('balance-error', err);
    return;
  }
  const progress = $('progress') as HTMLProgressElement;
  const text = $('progress-text');
  progress.removeAttribute('value');
  text.textContent = 'Encoding and solving…';
  store.set({ busy: true });
  const t0 = performance.now();
  try {
    const done = await client.call<BalanceDone>(
      { type: 'balance', req },
      {
        onProgress: (p) => {
          if (p.stage === 'eta-search') {
            progress.removeAttribute('value');
            text.textContent = 'Searching the largest feasible η…';
          } else {
            progress.max = p.maxIter;
            progress.value = p.iter;
            text.textContent = `iteration ${p.iter} of at most ${p.maxIter}; violation ${Number.isFinite(p.violation) ? p.violation.toExponential(1) : '—'}, keep rate ${Number.isFinite(p.keepRate) ? p.keepRate.toFixed(4) : '—'}`;
          }
        },
      },
    );
    progress.max = 1;
    progress.value = 1;
    text.textContent = `Done in ${((performance.now() - t0) / 1000).toFixed(2)} s (${done.report.solver.status}).`;
    store.set({ last: { name: table.name, done } });
    renderResults(done);
  } catch (err) {
    progress.max = 1;
    progress.value = 0;
    if (err instanceof CancelledError) {
      text.textContent = 'Cancelled.';
      // the worker was replaced: give it the table again
      const t = store.get().table;
      if (t)
        await client
          .call<LoadResult>({ type: 'load', name: t.name, bytes: t.bytes.slice(0) })
          .catch((x) => showError('data-error', x));
      void probe();
    } else {
      text.textContent = 'Failed.';
      showError('balance-error', err);
    }
  } finally {
    store.set({ busy: false });
  }
}

export function initBalancePanel(): void {
  $('attributes').addEventListener('change', updateRunEnabled);
  $('labels').addEventListener('change', updateRunEnabled);
  $('balance-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void run();
  });
  $('cancel').addEventListener('click', () => {
    if (store.get().busy) client.cancel();
  });
  store.subscribe((s) => {
    ($('cancel') as HTMLButtonElement).disabled = !s.busy;
    updateRunEnabled();
    $('balance-form').setAttribute('aria-busy', String(s.busy));
  });
}
