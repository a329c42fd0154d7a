// The demo page: file in → columns → balance in the worker → before/after views → downloads; evaluate panel.
import './style.css';
import bundledUrl from '../../../data/kernlab-income.csv?url';
import type { BalanceReport } from '@m4kit/sdk';
import { resolveBalanceOptions } from '@m4kit/sdk/options';
import { CancelledError, WorkerClient } from './client';
import { plotAssociation, plotEval, plotKeep, plotRepresentation, plotShares } from './plots';
import type { BalanceDone, BalanceRequest, EvalDone, LoadResult, ProbeResult } from './protocol';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const client = new WorkerClient();

let current: { name: string; bytes: ArrayBuffer; info: LoadResult } | null = null;
let last: { name: string; done: BalanceDone } | null = null;
let busy = false;
let gpuOk = false;

// ---------- formatting ----------
export function fmt(x: unknown): string {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) return '—';
    if (Number.isInteger(x)) return String(x);
    if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
    return x.toFixed(4);
  }
  if (x === null || x === undefined) return '—';
  return String(x);
}

function cell(tag: 'td' | 'th', text: string, key?: string, value?: unknown): HTMLTableCellElement {
  const c = document.createElement(tag);
  c.textContent = text;
  if (tag === 'th') c.scope = 'row';
  if (key !== undefined) {
    c.dataset.key = key;
    c.dataset.value = typeof value === 'number' ? String(value) : JSON.stringify(value ?? null);
  }
  return c;
}

function showError(id: string, e: unknown): void {
  const el = $(id);
  if (e === null) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  const err = e as Error & { code?: string };
  el.textContent = err?.message ?? String(e);
  el.hidden = false;
}

// ---------- WebGPU probe ----------
async function probe(): Promise<void> {
  try {
    const p = await client.call<ProbeResult>({ type: 'probe' });
    gpuOk = p.webgpu;
    if (p.webgpu) {
      $('gpu-status').textContent = `WebGPU adapter: ${p.adapter}${p.isSoftware ? ' (software rasteriser: slower than a real GPU)' : ''}. The solver runs in a worker.`;
      $('gpu-missing').hidden = true;
    } else {
      $('gpu-status').textContent = 'No WebGPU adapter: using the CPU backend.';
      $('gpu-reason').textContent = p.reason ?? '';
      $('gpu-missing').hidden = false;
      ($('backend') as HTMLSelectElement).value = 'cpu';
      const opt = ($('backend') as HTMLSelectElement).querySelector('option[value="webgpu"]') as HTMLOptionElement;
      opt.disabled = true;
      opt.textContent = 'WebGPU (not available in this browser)';
    }
  } catch (e) {
    if (!(e instanceof CancelledError)) $('gpu-status').textContent = `WebGPU check failed: ${(e as Error).message}`;
  }
}
$('use-cpu').addEventListener('click', () => {
  ($('backend') as HTMLSelectElement).value = 'cpu';
  $('gpu-status').textContent = 'CPU backend selected (float64).';
  $('backend').focus();
});

// ---------- data ----------
async function loadBytes(name: string, bytes: ArrayBuffer, preset?: Partial<BalanceRequest>): Promise<void> {
  showError('data-error', null);
  showError('balance-error', null);
  $('results').hidden = true;
  last = null;
  $('data-summary').textContent = `Reading ${name}…`;
  $('data-info').hidden = false;
  ($('run') as HTMLButtonElement).disabled = true;
  try {
    const info = await client.call<LoadResult>({ type: 'load', name, bytes: bytes.slice(0) });
    current = { name, bytes, info };
    renderTable(info);
    fillColumnSelects(info, preset);
  } catch (e) {
    current = null;
    $('data-info').hidden = true;
    if (!(e instanceof CancelledError)) showError('data-error', e);
  }
  updateRunEnabled();
}

function renderTable(info: LoadResult): void {
  const kinds = new Map<string, number>();
  for (const c of info.columns) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
  $('data-summary').innerHTML = '';
  $('data-summary').append(
    `${info.name}: `,
    Object.assign(document.createElement('strong'), { textContent: String(info.rows) }),
    ' rows, ',
    Object.assign(document.createElement('strong'), { textContent: String(info.columns.length) }),
    ` columns (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`,
  );
  $('data-summary').dataset.rows = String(info.rows);
  $('data-summary').dataset.columns = String(info.columns.length);
  const tb = $('columns').querySelector('tbody')!;
  tb.replaceChildren(
    ...info.columns.map((c) => {
      const tr = document.createElement('tr');
      tr.append(cell('th', c.name), cell('td', c.kind), cell('td', c.distinct > 10000 ? '> 10000' : String(c.distinct)), cell('td', String(c.missing)));
      tr.dataset.column = c.name;
      tr.dataset.kind = c.kind;
      return tr;
    }),
  );
  const head = $('preview').querySelector('thead')!;
  const body = $('preview').querySelector('tbody')!;
  const hr = document.createElement('tr');
  for (const c of info.columns) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = c.name;
    hr.append(th);
  }
  head.replaceChildren(hr);
  body.replaceChildren(
    ...info.preview.map((r) => {
      const tr = document.createElement('tr');
      for (const c of info.columns) tr.append(cell('td', r[c.name] ?? ''));
      return tr;
    }),
  );
}

function fillColumnSelects(info: LoadResult, preset?: Partial<BalanceRequest>): void {
  for (const id of ['attributes', 'labels']) {
    const sel = $(id) as HTMLSelectElement;
    const want = new Set((id === 'attributes' ? preset?.attributes : preset?.labels) ?? []);
    sel.replaceChildren(
      ...info.columns.map((c) => {
        const o = new Option(`${c.name} (${c.kind}, ${c.distinct > 10000 ? '>10000' : c.distinct} values)`, c.name);
        o.selected = want.has(c.name);
        return o;
      }),
    );
  }
  if (preset?.missing) ($('missing') as HTMLSelectElement).value = preset.missing;
  if (preset?.eta !== undefined) ($('eta') as HTMLInputElement).value = String(preset.eta);
}

const selected = (id: string) => Array.from(($(id) as HTMLSelectElement).selectedOptions, (o) => o.value);
function updateRunEnabled(): void {
  ($('run') as HTMLButtonElement).disabled = busy || !current || selected('attributes').length === 0 || selected('labels').length === 0;
}
$('attributes').addEventListener('change', updateRunEnabled);
$('labels').addEventListener('change', updateRunEnabled);

async function loadFile(f: File): Promise<void> {
  if (busy) return;
  await loadBytes(f.name, await f.arrayBuffer());
}
const fileInput = $('file') as HTMLInputElement;
fileInput.addEventListener('change', () => {
  const f = fileInput.files?.[0];
  if (f) void loadFile(f);
});
const drop = $('drop');
drop.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    if (!busy) fileInput.click();
  }
});
drop.addEventListener('click', () => !busy && fileInput.click());
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files?.[0];
  if (f) void loadFile(f);
});
$('bundled').addEventListener('click', async () => {
  try {
    const res = await fetch(bundledUrl);
    if (!res.ok) throw new Error(`could not fetch the bundled dataset: HTTP ${res.status}`);
    // the bundled run of `npm start`: SEX vs OCCUPATION, missing rows dropped, η auto
    await loadBytes('kernlab-income.csv', await res.arrayBuffer(), { attributes: ['SEX'], labels: ['OCCUPATION'], missing: 'drop', eta: 'auto' });
  } catch (e) {
    showError('data-error', e);
  }
});

// ---------- balance ----------
/** Form field names for option errors ("keep rate η must be in (0, 1], got 1.5"). */
const FIELD_LABELS = { eta: 'keep rate η', pi: 'target shares π', epsRep: 'ε_R', epsAssoc: 'ε_A', softPenalty: 'V', seed: 'seed' };

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
      path: ($('path') as HTMLSelectElement).value,
      backend: ($('backend') as HTMLSelectElement).value,
    },
    FIELD_LABELS,
  );
  return {
    attributes: selected('attributes'),
    labels: selected('labels'),
    missing: o.missing,
    eta: o.eta,
    pi: o.pi,
    epsRep: o.epsRep,
    epsAssoc: o.epsAssoc,
    V: Number.isFinite(o.softPenalty) ? o.softPenalty : undefined,
    seed: o.seed,
    path: o.path,
    backend: o.backend,
  };
}

function setBusy(b: boolean): void {
  busy = b;
  ($('cancel') as HTMLButtonElement).disabled = !b;
  // no new table while a run is under way (its result would be shown for the wrong file)
  ($('file') as HTMLInputElement).disabled = b;
  ($('bundled') as HTMLButtonElement).disabled = b;
  $('drop').setAttribute('aria-disabled', String(b));
  updateRunEnabled();
  $('balance-form').setAttribute('aria-busy', String(b));
}

$('balance-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!current || busy) return;
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
  setBusy(true);
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
    last = { name: current.name, done };
    renderResults(done);
  } catch (err) {
    progress.max = 1;
    progress.value = 0;
    if (err instanceof CancelledError) {
      text.textContent = 'Cancelled.';
      // the worker was replaced: give it the table again
      if (current) await client.call<LoadResult>({ type: 'load', name: current.name, bytes: current.bytes.slice(0) }).catch((x) => showError('data-error', x));
      void probe();
    } else {
      text.textContent = 'Failed.';
      showError('balance-error', err);
    }
  } finally {
    setBusy(false);
  }
});
$('cancel').addEventListener('click', () => {
  if (busy) client.cancel();
});

function renderResults(d: BalanceDone): void {
  const r = d.report;
  $('results').hidden = false;
  const s = r.solver;
  $('result-summary').textContent =
    s.status === 'infeasible'
      ? `Infeasible at η = ${fmt(r.options.eta)}: the largest feasible keep rate is ${fmt(s.maxFeasibleEta)}. Lower η, use "auto", loosen ε, or set V (soft constraints). No weights to download.`
      : `${s.status}${s.converged ? ', converged' : ''} in ${s.iterations} iterations; engine: ${r.options.backend}. Kept ${r.kept} of ${r.input.rows} rows.`
  for (const w of r.warnings ?? []) $('result-summary').textContent += ` Warning: ${w}.`;
  const rows: [string, string, unknown][] = [
    ['rows', 'input.rows', r.input.rows],
    ['dropped (missing values)', 'input.dropped', r.input.dropped],
    ['patterns', 'input.patterns', r.input.patterns],
    ['groups', 'input.attributes', r.input.attributes],
    ['engine (adapter in use)', 'options.backend', r.options.backend],
    ['path', 'options.path', r.options.path],
    ['η', 'options.eta', r.options.eta],
    ['π', 'options.pi', r.options.pi],
    ['tolerance (what ε bounds)', 'options.tolerance', r.options.tolerance],
    ['status', 'solver.status', s.status],
    ['iterations', 'solver.iterations', s.iterations],
    ['max violation', 'solver.maxViolation', s.maxViolation],
    ['largest feasible η', 'solver.maxFeasibleEta', s.maxFeasibleEta],
    ['kept rows (seeded draw)', 'kept', r.kept],
    ['keep rate Σq/N', 'bias.summary.keepRate', r.bias.summary.keepRate],
    ['RB before', 'bias.summary.rbBefore', r.bias.summary.rbBefore],
    ['RB after (balanced data, expected under q)', 'bias.summary.rbBalanced', r.bias.summary.rbBalanced],
    ['RB after, joint moment (÷ N)', 'bias.summary.rbAfter', r.bias.summary.rbAfter],
    ['RB after / η (within kept set)', 'bias.summary.rbAfterNormalized', r.bias.summary.rbAfterNormalized],
    ['AB before', 'bias.summary.abBefore', r.bias.summary.abBefore],
    ['AB after (balanced data, expected under q)', 'bias.summary.abBalanced', r.bias.summary.abBalanced],
    ['AB after, joint moment (÷ N)', 'bias.summary.abAfter', r.bias.summary.abAfter],
    ['AB after / η (within kept set)', 'bias.summary.abAfterNormalized', r.bias.summary.abAfterNormalized],
  ];
  $('summary').querySelector('tbody')!.replaceChildren(
    ...rows.map(([label, key, v]) => {
      const tr = document.createElement('tr');
      const text = Array.isArray(v) ? v.map(fmt).join(', ') : fmt(v);
      tr.append(cell('th', label), cell('td', text, key, v));
      return tr;
    }),
    // realised by the seeded draw: shown, not keyed (a float32 GPU q moves a few keep flags)
    ...([['RB of the kept rows', r.bias.summary.rbKept], ['AB of the kept rows', r.bias.summary.abKept]] as const).map(([label, v]) => {
      const tr = document.createElement('tr');
      tr.append(cell('th', label), cell('td', fmt(v)));
      return tr;
    }),
  );
  // per group and label
  const gh = $('groups').querySelector('thead')!;
  const hr = document.createElement('tr');
  for (const h of ['group / label', 'target π', 'share before', 'share after', 'R or C before', 'R or C after']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    hr.append(th);
  }
  gh.replaceChildren(hr);
  const body: HTMLTableRowElement[] = [];
  r.bias.groups.forEach((g, i) => {
    const tr = document.createElement('tr');
    tr.className = 'group';
    const k = `bias.groups.${i}`;
    tr.append(cell('th', g.attribute), cell('td', fmt(g.target), `${k}.target`, g.target), cell('td', fmt(g.shareBefore), `${k}.shareBefore`, g.shareBefore), cell('td', fmt(g.shareAfter), `${k}.shareAfter`, g.shareAfter), cell('td', fmt(g.rBefore), `${k}.rBefore`, g.rBefore), cell('td', fmt(g.rBalanced), `${k}.rBalanced`, g.rBalanced));
    body.push(tr);
    g.labels.forEach((l, j) => {
      const lr = document.createElement('tr');
      const kk = `${k}.labels.${j}`;
      lr.append(cell('th', `  ${l.label}`), cell('td', ''), cell('td', fmt(l.condBefore), `${kk}.condBefore`, l.condBefore), cell('td', fmt(l.condAfter), `${kk}.condAfter`, l.condAfter), cell('td', fmt(l.cBefore), `${kk}.cBefore`, l.cBefore), cell('td', fmt(l.cBalanced), `${kk}.cBalanced`, l.cBalanced));
      body.push(lr);
    });
  });
  $('groups').querySelector('tbody')!.replaceChildren(...body);
  plotShares($('plot-share'), r);
  plotAssociation($('plot-assoc'), r);
  plotRepresentation($('plot-rb'), r);
  plotKeep($('plot-q'), d.q, d.dropped, r.options.eta);
  const infeasible = s.status === 'infeasible';
  ($('dl-weights') as HTMLButtonElement).disabled = infeasible;
}

function save(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
const stem = (n: string) => n.replace(/\.[^.]+$/, '');
$('dl-weights').addEventListener('click', async () => {
  if (!last) return;
  const format = ($('out-format') as HTMLSelectElement).value as 'csv' | 'parquet';
  try {
    const bytes = await client.call<Uint8Array>({ type: 'download', format });
    save(`${stem(last.name)}.balanced.${format}`, bytes as BlobPart, format === 'csv' ? 'text/csv' : 'application/vnd.apache.parquet');
  } catch (e) {
    showError('balance-error', e);
  }
});
$('dl-report').addEventListener('click', () => {
  if (!last) return;
  const report: { file: string } & BalanceReport = { file: last.name, ...last.done.report };
  save(`${stem(last.name)}.report.json`, JSON.stringify(report, null, 2), 'application/json');
});

// ---------- evaluate ----------
const evFile = (id: string) => ($(id) as HTMLInputElement).files?.[0];
$('ev-labels').addEventListener('change', async () => {
  const f = evFile('ev-labels');
  const sel = $('ev-attribute') as HTMLSelectElement;
  sel.replaceChildren();
  showError('eval-error', null);
  if (!f) return;
  try {
    const cols = await client.call<string[]>({ type: 'columns', name: f.name, bytes: await f.arrayBuffer() });
    sel.replaceChildren(...cols.map((c) => new Option(c, c)));
  } catch (e) {
    showError('eval-error', e);
  }
});
$('eval-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  showError('eval-error', null);
  const images = evFile('ev-images');
  const queries = evFile('ev-queries');
  const labels = evFile('ev-labels');
  const names = evFile('ev-names');
  const attribute = ($('ev-attribute') as HTMLSelectElement).value;
  const k = Number(($('ev-k') as HTMLInputElement).value);
  if (!images || !queries || !labels) return showError('eval-error', new Error('choose the image embeddings, the query embeddings and the labels table'));
  if (!attribute) return showError('eval-error', new Error('choose the attribute column'));
  if (!(Number.isInteger(k) && k >= 1)) return showError('eval-error', new Error(`k must be a positive integer, got "${($('ev-k') as HTMLInputElement).value}"`));
  const file = async (f: File) => ({ name: f.name, bytes: await f.arrayBuffer() });
  $('ev-status').textContent = 'Ranking…';
  ($('ev-run') as HTMLButtonElement).disabled = true;
  try {
    const r = await client.call<EvalDone>({
      type: 'eval',
      req: { images: await file(images), queries: await file(queries), labels: await file(labels), queryNames: names ? await file(names) : undefined, attribute, k, backend: ($('backend') as HTMLSelectElement).value as 'auto' },
    });
    $('ev-status').textContent = 'Done.';
    renderEval(r);
  } catch (err) {
    $('ev-status').textContent = 'Failed.';
    if (!(err instanceof CancelledError)) showError('eval-error', err);
  } finally {
    ($('ev-run') as HTMLButtonElement).disabled = false;
  }
});

function renderEval(r: EvalDone): void {
  $('eval-results').hidden = false;
  const sum = $('ev-summary');
  sum.textContent = `k = ${r.k}, groups ${r.groups.join(', ')} (dataset shares ${r.datasetShares.map(fmt).join(', ')}); mean MaxSkew@${r.k} ${fmt(r.maxSkew)}, mean NDKL@${r.k} ${fmt(r.ndkl)}; engine: ${r.backend}.`;
  sum.dataset.maxSkew = String(r.maxSkew);
  sum.dataset.ndkl = String(r.ndkl);
  const hr = document.createElement('tr');
  for (const h of ['query', `MaxSkew@${r.k}`, `NDKL@${r.k}`, ...r.groups.map((g) => `share ${g}`)]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    hr.append(th);
  }
  $('ev-table').querySelector('thead')!.replaceChildren(hr);
  $('ev-table').querySelector('tbody')!.replaceChildren(
    ...r.perQuery.map((p, i) => {
      const tr = document.createElement('tr');
      tr.append(cell('th', p.query), cell('td', fmt(p.maxSkew), `perQuery.${i}.maxSkew`, p.maxSkew), cell('td', fmt(p.ndkl), `perQuery.${i}.ndkl`, p.ndkl), ...p.shares.map((s) => cell('td', fmt(s))));
      return tr;
    }),
  );
  plotEval($('plot-ev'), r);
}

void probe();
(globalThis as { __demoReady?: boolean }).__demoReady = true;
