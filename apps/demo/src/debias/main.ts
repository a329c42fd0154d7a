// The Debias tab (debias.html): files in (the bundled example or your own), the BA module trained in a worker
// (worker.ts) with progress, cancel and early stopping on validation ABLE, the before / after table per attribute
// beside the CLIP-clip and biased-prompts baselines, and the module download (loadable by `m4kit debias --module`).
import '../style.css';
import * as Plot from '@observablehq/plot';
import { parseTableBytes } from '@m4kit/sdk';
import { $, cell, fmt, headerRow, save, selected, showError } from '../dom';
import type { DebiasDone, DebiasFiles, DebiasRequest, FileIn, FromDebiasWorker, TrainSettings } from './protocol';

// the bundled example: data/debias-emoji (made by scripts/make-debias-example.mjs), served as static assets
const EXAMPLE = import.meta.glob('../../../../data/debias-emoji/*.{npy,csv,txt,json}', {
  query: '?url',
  import: 'default',
  eager: true,
}) as Record<string, string>;
const exampleUrl = (file: string) => {
  const u = Object.entries(EXAMPLE).find(([k]) => k.endsWith(`/${file}`))?.[1];
  if (!u) throw new Error(`the bundled example has no file ${file}`);
  return u;
};

interface Manifest {
  name: string;
  title: string;
  attributes: string[];
  classColumn: string;
  train: Record<'images' | 'captions' | 'counterfactuals' | 'metadata', string>;
  validation?: Record<'images' | 'metadata', string>;
  eval: Record<string, string>;
  rows: { train: number; validation?: number; eval: number };
}

let files: DebiasFiles | null = null;
let dataName = '';
let worker: Worker | null = null;
let last: DebiasDone | null = null;

async function probe(): Promise<void> {
  const el = $('db-gpu');
  try {
    if (!('gpu' in navigator) || !navigator.gpu) throw new Error('navigator.gpu is missing');
    const a = await navigator.gpu.requestAdapter();
    if (!a) throw new Error('no WebGPU adapter');
    const name = a.info?.description || a.info?.vendor || 'adapter ready';
    el.textContent = `WebGPU: ${name}. Training runs on it, in a worker.`;
  } catch (e) {
    ($('db-backend') as HTMLSelectElement).value = 'cpu';
    el.textContent =
      `No WebGPU in this browser (${(e as Error).message}): training runs on the float64 CPU backend instead ` +
      '(same algorithm, slower on large sets).';
  }
}

async function fetchFile(file: string): Promise<FileIn> {
  const res = await fetch(exampleUrl(file));
  if (!res.ok) throw new Error(`could not fetch the bundled ${file}: HTTP ${res.status}`);
  return { name: file, bytes: await res.arrayBuffer() };
}

async function fillColumns(meta: FileIn, attributes: string[], classColumn: string): Promise<void> {
  const t = await parseTableBytes(meta.bytes, meta.name);
  const attr = $('db-attributes') as HTMLSelectElement;
  attr.replaceChildren(...t.columns.map((c) => new Option(c, c, false, attributes.includes(c))));
  // keep the chosen order: the first attribute drives validation
  attr.dataset.order = attributes.join(',');
  const cls = $('db-class') as HTMLSelectElement;
  cls.replaceChildren(...t.columns.map((c) => new Option(c, c, false, c === classColumn)));
}

function ready(summary: string): void {
  const s = $('db-data-summary');
  s.textContent = summary;
  s.hidden = false;
  ($('db-run') as HTMLButtonElement).disabled = false;
}

async function loadExample(): Promise<void> {
  showError('db-data-error', null);
  const m = (await (await fetch(exampleUrl('manifest.json'))).json()) as Manifest;
  const get = (f: string | undefined) => (f ? fetchFile(f) : Promise.resolve(undefined));
  const [trainImages, trainCaptions, trainCounterfactuals, trainMeta, evalImages, evalMeta] = await Promise.all(
    [m.train.images, m.train.captions, m.train.counterfactuals, m.train.metadata, m.eval.images, m.eval.metadata].map(
      fetchFile,
    ),
  );
  const [biasPrompts, biasPromptNames, zeroshotPrompts, zeroshotPromptMeta, spuriousPrompts, candidatePrompts] =
    await Promise.all(
      [
        m.eval.biasPrompts,
        m.eval.biasPromptNames,
        m.eval.zeroshotPrompts,
        m.eval.zeroshotPromptMeta,
        m.eval.spuriousPrompts,
        m.eval.candidatePrompts,
      ].map(get),
    );
  const [valImages, valMeta] = await Promise.all([m.validation?.images, m.validation?.metadata].map(get));
  files = {
    valImages,
    valMeta,
    trainImages,
    trainCaptions,
    trainCounterfactuals,
    trainMeta,
    evalImages,
    evalMeta,
    biasPrompts: biasPrompts!,
    biasPromptNames,
    zeroshotPrompts: zeroshotPrompts!,
    zeroshotPromptMeta: zeroshotPromptMeta!,
    spuriousPrompts,
    candidatePrompts,
  };
  dataName = m.name;
  ($('db-pairs') as HTMLInputElement).value = m.eval.candidatePairs ?? '';
  await fillColumns(evalMeta, m.attributes, m.classColumn);
  ready(
    `Bundled example "${m.name}": ${m.title}. ${m.rows.train} training images with captions and counterfactual ` +
      `captions, ${m.rows.validation ?? 0} validation images (early stopping), ${m.rows.eval} evaluation images ` +
      '(data/debias-emoji; provenance and licences in its README).',
  );
}

const ROLES = [
  'trainImages',
  'trainCaptions',
  'trainCounterfactuals',
  'trainMeta',
  'valImages',
  'valMeta',
  'evalImages',
  'evalMeta',
  'biasPrompts',
  'biasPromptNames',
  'zeroshotPrompts',
  'zeroshotPromptMeta',
  'spuriousPrompts',
  'candidatePrompts',
] as const;
const REQUIRED = new Set([
  'trainImages',
  'trainCaptions',
  'trainCounterfactuals',
  'evalImages',
  'evalMeta',
  'biasPrompts',
  'zeroshotPrompts',
  'zeroshotPromptMeta',
]);

async function loadOwn(): Promise<void> {
  showError('db-data-error', null);
  const got: Partial<Record<(typeof ROLES)[number], FileIn>> = {};
  const missing: string[] = [];
  for (const r of ROLES) {
    const input = $(`db-f-${r}`) as HTMLInputElement;
    const f = input.files?.[0];
    if (f) got[r] = { name: f.name, bytes: await f.arrayBuffer() };
    else if (REQUIRED.has(r)) missing.push(document.querySelector(`label[for="db-f-${r}"]`)?.textContent ?? r);
  }
  if (missing.length) throw new Error(`choose: ${missing.join('; ')}`);
  files = got as DebiasFiles;
  dataName = got.trainImages!.name.replace(/\.[^.]+$/, '');
  const t = await parseTableBytes(got.evalMeta!.bytes, got.evalMeta!.name);
  await fillColumns(got.evalMeta!, t.columns.slice(0, 1), t.columns[1] ?? t.columns[0]);
  ready(`Your files: training ${got.trainImages!.name}, evaluation ${got.evalImages!.name} (${t.rows.length} rows).`);
}

function num(id: string, what: string, int: boolean): number {
  const raw = ($(id) as HTMLInputElement).value.trim();
  const x = Number(raw);
  if (raw === '' || !Number.isFinite(x) || (int && !Number.isInteger(x)))
    throw new Error(`${what}: "${raw}" is not ${int ? 'an integer' : 'a number'}`);
  return x;
}

/** chosen attributes, the first one first (the example pre-selects gender, tone) */
function attributes(): string[] {
  const sel = selected('db-attributes');
  const order = ($('db-attributes') as HTMLSelectElement).dataset.order?.split(',') ?? [];
  return [...order.filter((a) => sel.includes(a)), ...sel.filter((a) => !order.includes(a))];
}

function request(): DebiasRequest {
  if (!files) throw new Error('load the bundled example or your files first');
  const train: TrainSettings = {
    epochs: num('db-epochs', 'epochs', true),
    batchSize: num('db-batchSize', 'batch size', true),
    queueSize: num('db-queueSize', 'queue size', true),
    lr: num('db-lr', 'learning rate', false),
    hidden1: num('db-hidden1', 'image MLP width', true),
    hidden2: num('db-hidden2', 'shared MLP width', true),
    tau: num('db-tau', 'temperature τ', false),
    alpha: num('db-alpha', 'α', false),
    seed: num('db-seed', 'seed', true),
    evalEvery: num('db-evalEvery', 'evaluate every', true),
    patience: num('db-patience', 'patience', true),
  };
  return {
    files,
    attributes: attributes(),
    classColumn: ($('db-class') as HTMLSelectElement).value,
    k: num('db-k', 'k', true),
    train,
    backend: ($('db-backend') as HTMLSelectElement).value as 'webgpu' | 'cpu',
    clipClip: {
      enabled: ($('db-clipclip') as HTMLInputElement).checked,
      m: num('db-clipclip-m', 'CLIP-clip dimensions', true),
    },
    biasedPrompts: {
      enabled: ($('db-biased') as HTMLInputElement).checked,
      lambda: num('db-lambda', 'biased prompts λ', false),
      pairs: ($('db-pairs') as HTMLInputElement).value,
    },
    name: dataName,
  };
}

function busy(on: boolean): void {
  ($('db-run') as HTMLButtonElement).disabled = on || !files;
  ($('db-cancel') as HTMLButtonElement).disabled = !on;
  ($('db-example') as HTMLButtonElement).disabled = on;
  ($('db-use-files') as HTMLButtonElement).disabled = on;
}

function evalRow(ev: { epoch: number; maxSkew: number; top1: number; able: number }): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.append(
    cell('th', String(ev.epoch + 1)),
    cell('td', fmt(ev.maxSkew), `evals.${ev.epoch}.maxSkew`, ev.maxSkew),
    cell('td', fmt(ev.top1), `evals.${ev.epoch}.top1`, ev.top1),
    cell('td', fmt(ev.able), `evals.${ev.epoch}.able`, ev.able),
  );
  return tr;
}

function run(): void {
  showError('db-error', null);
  let req: DebiasRequest;
  try {
    req = request();
  } catch (e) {
    showError('db-error', e);
    return;
  }
  $('db-results').hidden = true;
  const evals = $('db-evals');
  evals.hidden = true;
  evals.querySelector('tbody')!.replaceChildren();
  const text = $('db-progress-text');
  const bar = $('db-progress') as HTMLProgressElement;
  bar.value = 0;
  text.textContent = 'starting the worker…';
  busy(true);
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'm4kit-debias' });
  worker.onmessage = (e: MessageEvent<FromDebiasWorker>) => {
    const m = e.data;
    if (m.type === 'status') text.textContent = m.text;
    else if (m.type === 'progress') {
      bar.value = (m.epoch * m.steps + m.step) / (m.epochs * m.steps);
      text.textContent = `epoch ${m.epoch + 1}/${m.epochs}, step ${m.step}/${m.steps}, loss ${m.loss.toFixed(4)}`;
    } else if (m.type === 'eval') {
      evals.hidden = false;
      evals.querySelector('tbody')!.append(evalRow(m.ev));
    } else {
      worker?.terminate();
      worker = null;
      busy(false);
      if (m.type === 'error') {
        text.textContent = 'failed.';
        showError('db-error', new Error(m.message));
      } else {
        bar.value = 1;
        const t = m.result.training;
        text.textContent =
          `done: ${t.epochsRun} of ${t.epochs} epochs in ${(t.ms / 1000).toFixed(1)} s` +
          (t.stoppedEarly ? ` (stopped early: no better validation ABLE; best epoch ${(t.bestEpoch ?? 0) + 1})` : '') +
          '.';
        render(m.result);
      }
    }
  };
  worker.onerror = (e) => {
    worker?.terminate();
    worker = null;
    busy(false);
    showError('db-error', new Error(`worker failed: ${e.message || 'unknown error'}`));
  };
  // copies: the page keeps its files for the next run
  worker.postMessage({ type: 'run', req });
}

function cancel(): void {
  if (!worker) return;
  worker.terminate();
  worker = null;
  busy(false);
  $('db-progress-text').textContent = 'cancelled: nothing was trained or changed.';
}

function render(r: DebiasDone): void {
  last = r;
  $('db-results').hidden = false;
  const ba = r.methods.find((m) => m.id === 'ba')!;
  $('db-summary').textContent =
    `${r.name}: ${r.train.rows} training rows (D = ${r.train.dim}), ${r.eval.rows} evaluation images, ` +
    `${r.eval.prompts} bias queries, ${r.eval.classes} zero-shot classes, k = ${r.eval.k}; ` +
    (r.validation.separate
      ? `early stopping on ${r.validation.rows} separate validation images; `
      : 'no validation files: the evaluation set also served as validation (the "after" numbers are optimistic); ') +
    `${r.backend}. ` +
    `BA: ${ba.note}.`;
  const thead = $('db-table').querySelector('thead')!;
  thead.replaceChildren(headerRow(['attribute', 'measure', ...r.methods.map((m) => m.label)]));
  const rows: HTMLTableRowElement[] = [];
  const attrs = r.methods[0].perAttribute.map((a) => a.attribute);
  attrs.forEach((attr, ai) => {
    for (const [key, label] of [
      ['maxSkew', `MaxSkew@${r.eval.k}`],
      ['ndkl', `NDKL@${r.eval.k}`],
      ['able', 'ABLE'],
    ] as const) {
      const tr = document.createElement('tr');
      const th = cell('th', `${attr} (${r.methods[0].perAttribute[ai].groups.length} groups)`);
      th.title = r.methods[0].perAttribute[ai].groups.join(', ');
      tr.append(th, cell('td', label));
      for (const m of r.methods)
        tr.append(cell('td', fmt(m.perAttribute[ai][key]), `${m.id}.${attr}.${key}`, m.perAttribute[ai][key]));
      rows.push(tr);
    }
  });
  const zs = document.createElement('tr');
  zs.append(cell('th', 'all'), cell('td', 'zero-shot top-1'));
  for (const m of r.methods) zs.append(cell('td', fmt(m.top1), `${m.id}.top1`, m.top1));
  rows.push(zs);
  $('db-table')
    .querySelector('tbody')!
    .replaceChildren(...rows);
  $('db-notes').replaceChildren(
    ...r.methods.map((m) => {
      const li = document.createElement('li');
      li.textContent = `${m.label}: ${m.note}`;
      return li;
    }),
  );
  const data = r.methods.flatMap((m) =>
    m.perAttribute.map((a) => ({ method: m.label, attribute: a.attribute, maxSkew: a.maxSkew })),
  );
  const el = $('plot-db');
  el.replaceChildren(
    Plot.plot({
      width: Math.max(320, Math.min(760, el.clientWidth || 520)),
      height: 60 + 40 * r.methods.length * attrs.length,
      marginLeft: 180,
      marginRight: 70,
      x: { label: `MaxSkew@${r.eval.k} (lower is fairer)`, grid: true },
      y: { label: null, domain: r.methods.map((m) => m.label) },
      fy: { label: null },
      color: { range: ['#0072B2', '#D55E00', '#009E73', '#CC79A7'], domain: r.methods.map((m) => m.label) },
      marks: [
        Plot.barX(data, { x: 'maxSkew', y: 'method', fy: 'attribute', fill: 'method', tip: true }),
        Plot.ruleX([0]),
      ],
    }),
  );
  const g = globalThis as unknown as { __debias?: unknown };
  g.__debias = { ...r, module: { config: r.module.config, bytes: r.module.weights.length } };
}

function wire(): void {
  $('db-example').addEventListener('click', async () => {
    busy(true);
    try {
      await loadExample();
    } catch (e) {
      showError('db-data-error', e);
    } finally {
      busy(false);
    }
  });
  $('db-files').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await loadOwn();
    } catch (err) {
      showError('db-data-error', err);
    }
  });
  $('db-form').addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  $('db-cancel').addEventListener('click', cancel);
  $('db-dl-weights').addEventListener('click', () => {
    if (last) save(`ba-${last.name}.safetensors`, last.module.weights as BlobPart, 'application/octet-stream');
  });
  $('db-dl-config').addEventListener('click', () => {
    if (last) save(`ba-${last.name}.json`, last.module.config, 'application/json');
  });
}

wire();
void probe().then(() => {
  (globalThis as { __debiasReady?: boolean }).__debiasReady = true;
});
