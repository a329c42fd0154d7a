// Balance panel: the options form (checked by the SDK's resolveBalanceOptions, the CLI's resolver), run with
// progress, cancel (terminates the worker; the table is sent to the fresh one).
import { BALANCE_OPTION_DECLS, resolveBalanceOptions } from '@m4kit/sdk/options';
import { CancelledError } from '../client';
import { $, selected, showError } from '../dom';
import type { BalanceDone, BalanceRequest, LoadResult } from '../protocol';
import { client, store } from '../store';
import { probe } from './probe';
import { renderResults } from './results';

/** Form field names for option errors ("keep rate η must be in (0, 1], got 1.5"), from the declarations. */
const FIELD_LABELS = Object.fromEntries(BALANCE_OPTION_DECLS.flatMap((d) => (d.demo ? [[d.key, d.demo.label]] : [])));

/**
 * Every declared option with a demo field is read from the element with its id; a declared field the page does
 * not place is rendered once into #more-options (a select for choices, a text input otherwise).
 */
function declaredFields(): void {
  const more = $('more-options');
  for (const d of BALANCE_OPTION_DECLS) {
    if (!d.demo || document.getElementById(d.demo.id)) continue;
    const wrap = document.createElement('div');
    wrap.className = 'field';
    const lab = document.createElement('label');
    lab.htmlFor = d.demo.id;
    lab.textContent = d.demo.label;
    let input: HTMLInputElement | HTMLSelectElement;
    if (typeof d.check === 'object' && 'choices' in d.check) {
      input = document.createElement('select');
      for (const c of d.check.choices) input.add(new Option(c, c, c === d.default, c === d.default));
    } else {
      input = document.createElement('input');
      input.value = d.default === undefined ? '' : String(d.default);
    }
    input.id = d.demo.id;
    wrap.append(lab, input);
    more.append(wrap);
    more.hidden = false;
  }
}

function parseOptions(): BalanceRequest {
  const input: Record<string, string | undefined> = {};
  for (const d of BALANCE_OPTION_DECLS) {
    if (!d.demo) continue;
    const v = ($(d.demo.id) as HTMLInputElement | HTMLSelectElement).value;
    input[d.key] = d.demo.optional && v.trim() === '' ? undefined : d.key === 'eta' ? v.trim() : v;
  }
  const o = resolveBalanceOptions(input, FIELD_LABELS);
  // the resolved values of the declared fields travel to the worker as they are (plain, structured-clonable)
  const options = Object.fromEntries(
    BALANCE_OPTION_DECLS.flatMap((d) => (d.demo ? [[d.key, o[d.key as keyof typeof o]]] : [])),
  ) as BalanceRequest['options'];
  return { attributes: selected('attributes'), labels: selected('labels'), options };
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
  declaredFields();
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
