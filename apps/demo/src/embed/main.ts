// The Embed tab: a CLIP model folder + a folder of images (+ a table: file, caption, attributes) → image and caption
// embeddings made in a worker on this GPU (progress, cancel), then retrieval recall@K and bias MaxSkew@k / NDKL@k,
// .npy downloads (the files `m4kit embed` writes) and the explorer. Nothing is uploaded.
import '../style.css';
import { parseTableBytes } from '@m4kit/sdk';
import { CancelledError, WorkerClient } from '../client';
import { $, cell, fmt, headerRow, save, showError } from '../dom';
import { saveHandoff } from '../explorer/handoff';
import type { EmbedProgress, EmbedRequest, EmbedResult, EmbedStage } from './protocol';

/** the shipped tiny model (random weights, data/clip-tiny/gelu): file URLs by path */
const TINY = import.meta.glob('../../../../data/clip-tiny/gelu/*', { query: '?url', import: 'default', eager: true });
const IMAGE_EXT = /\.(png|jpe?g|webp|gif|bmp|avif)$/i;
const STAGES: Record<EmbedStage, string> = {
  load: 'loading the model',
  images: 'embedding images',
  captions: 'embedding captions',
  prompts: 'embedding the 319 bias prompts',
  evaluate: 'measuring',
};

let tinyModel: Record<string, Blob> | null = null;
let table: { name: string; columns: string[]; rows: Record<string, unknown>[] } | null = null;
const client = new WorkerClient<EmbedRequest, EmbedProgress>(
  () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'm4kit-embed' }),
);
let last: { result: EmbedResult; names: string[]; rows: Record<string, string>[]; attr: string | null } | null = null;

/** a float32 [n, d] .npy (the format `m4kit embed` writes) */
function npy(data: Float32Array, n: number, d: number): Uint8Array<ArrayBuffer> {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

const files = (id: string) => Array.from(($(id) as HTMLInputElement).files ?? []);
const base = (f: File) => (f.webkitRelativePath || f.name).split('/').pop()!;
const status = (s: string) => ($('em-status').textContent = s);

function modelFiles(): Record<string, Blob> {
  const own = [...files('em-model'), ...files('em-model-dir')];
  if (own.length) return Object.fromEntries(own.map((f) => [base(f), f]));
  if (tinyModel) return tinyModel;
  throw new Error('choose a model folder (open_clip_config.json, *.safetensors, tokenizer) or the shipped tiny model');
}

function imageFiles(): Map<string, File> {
  const m = new Map<string, File>();
  for (const f of [...files('em-images'), ...files('em-images-dir')]) if (IMAGE_EXT.test(f.name)) m.set(base(f), f);
  if (m.size === 0) throw new Error('choose the images (a folder, or several image files)');
  return m;
}

/** Rows in table order (or images sorted by name without a table); every table row must name a dropped image. */
function plan(): Omit<EmbedRequest, 'type' | 'model' | 'backend' | 'batch'> & {
  rows: Record<string, string>[];
} {
  const imgs = imageFiles();
  if (!table) {
    const names = [...imgs.keys()].sort();
    return {
      images: names.map((n) => ({ name: n, blob: imgs.get(n)! })),
      captions: null,
      attribute: null,
      rows: names.map((n) => ({ file: n })),
    };
  }
  const col = (id: string) => ($(id) as HTMLSelectElement).value;
  const [fileCol, capCol, attrCol] = [col('em-file-col'), col('em-caption-col'), col('em-attr-col')];
  if (!fileCol) throw new Error(`${table.name}: choose the column holding the image file names`);
  const rows = table.rows.map((r) =>
    Object.fromEntries(table!.columns.map((c) => [c, r[c] == null ? '' : String(r[c])])),
  );
  const images = rows.map((r, i) => {
    const f = imgs.get(r[fileCol]!.split(/[\\/]/).pop()!);
    if (!f) throw new Error(`${table!.name}, row ${i + 1}, column "${fileCol}": no image "${r[fileCol]}" was chosen`);
    return { name: f.name, blob: f as Blob };
  });
  const captions = capCol ? rows.map((r) => r[capCol]!) : null;
  captions?.forEach((c, i) => {
    if (!c.trim()) throw new Error(`${table!.name}, row ${i + 1}, column "${capCol}": empty caption`);
  });
  const attribute = attrCol ? { name: attrCol, values: rows.map((r) => r[attrCol] || 'NA') } : null;
  return { images, captions, attribute, rows };
}

function render(r: EmbedResult, n: number): void {
  $('em-results').hidden = false;
  const s = $('em-summary');
  s.textContent =
    `${n} images × ${r.dim} dims on ${r.backend} (${r.precision})` +
    (r.captions ? `, ${n} captions` : '') +
    ` in ${(r.timeMs / 1000).toFixed(1)} s; weights ${r.modelFiles.weights.split(/[\\/]/).pop()}.`;
  s.dataset.rows = String(n);
  s.dataset.dim = String(r.dim);
  const tb = $('em-metrics').querySelector('tbody')!;
  const rows: HTMLTableRowElement[] = [];
  const add = (label: string, key: string, v: number) => {
    const tr = document.createElement('tr');
    tr.append(cell('th', label), cell('td', fmt(v), key, v));
    rows.push(tr);
  };
  if (r.retrieval)
    for (const K of ['R@1', 'R@5', 'R@10']) {
      add(`image→text ${K}`, `retrieval.imageToText.${K}`, r.retrieval.imageToText[K]!);
      add(`text→image ${K}`, `retrieval.textToImage.${K}`, r.retrieval.textToImage[K]!);
    }
  if (r.bias) {
    add(`MaxSkew@${r.bias.k} (${r.bias.attribute})`, 'bias.maxSkew', r.bias.maxSkew);
    add(`NDKL@${r.bias.k} (${r.bias.attribute})`, 'bias.ndkl', r.bias.ndkl);
  }
  tb.replaceChildren(...rows);
  $('em-metrics')
    .querySelector('thead')!
    .replaceChildren(headerRow(['measure', 'value']));
  $('em-metrics').hidden = rows.length === 0;
  ($('em-dl-captions') as HTMLButtonElement).disabled = !r.captions;
  ($('em-explore') as HTMLButtonElement).disabled = false;
}

function running(on: boolean): void {
  ($('em-run') as HTMLButtonElement).disabled = on;
  ($('em-cancel') as HTMLButtonElement).disabled = !on;
  $('em-progress').hidden = !on;
}

async function start(): Promise<void> {
  showError('em-error', null);
  status('starting…');
  $('em-results').hidden = true;
  const p = plan();
  const req: EmbedRequest = {
    type: 'embed',
    model: modelFiles(),
    images: p.images,
    captions: p.captions,
    attribute: p.attribute,
    backend: ($('em-backend') as HTMLSelectElement).value as 'webgpu' | 'cpu',
    // passed as typed: the SDK's option check (clip/images.ts) refuses a blank, 0 or fractional batch by name
    batch: Number(($('em-batch') as HTMLInputElement).value),
  };
  running(true);
  const result = await client
    .call<EmbedResult>(req, {
      onProgress: (m) => {
        const bar = $('em-progress') as HTMLProgressElement;
        bar.max = m.total;
        bar.value = m.done;
        status(`${STAGES[m.stage]}: ${m.done} / ${m.total}`);
      },
    })
    .catch((e: unknown) => {
      throw e instanceof CancelledError ? new Error('cancelled: the embedding worker was stopped') : e;
    })
    .finally(() => running(false));
  last = { result, names: p.images.map((i) => i.name), rows: p.rows, attr: p.attribute?.name ?? null };
  status(`done: ${p.images.length} images embedded`);
  render(result, p.images.length);
}

function explorerData() {
  const { result: r, rows, attr } = last!;
  const groupNames: string[] = [];
  const group = Uint32Array.from(rows, (row) => {
    const g = attr ? row[attr]! || 'NA' : 'all';
    if (!groupNames.includes(g)) groupNames.push(g);
    return groupNames.indexOf(g);
  });
  return {
    source: `the Embed tab: ${rows.length} images embedded with ${r.modelFiles.weights}`,
    D: r.dim,
    n: rows.length,
    groupNames,
    group,
    rows,
    images: { before: r.images },
    texts: r.captions ? { before: r.captions } : undefined,
    queries: r.prompts
      ? { names: r.prompts.names.slice(0, 20), before: r.prompts.data.slice(0, 20 * r.dim) }
      : undefined,
  };
}

async function setup(): Promise<void> {
  $('em-gpu').textContent =
    'gpu' in navigator
      ? 'WebGPU is available: the towers run on this GPU (or pick the float64 CPU backend).'
      : 'No WebGPU in this browser: choose the float64 CPU backend (slower, same numbers).';
  if (!('gpu' in navigator)) ($('em-backend') as HTMLSelectElement).value = 'cpu';
  ($('em-tiny') as HTMLButtonElement).disabled = Object.keys(TINY).length === 0;
  $('em-tiny').addEventListener('click', async () => {
    const entries = await Promise.all(
      Object.entries(TINY).map(
        async ([p, url]) => [p.split('/').pop()!, await (await fetch(url as string)).blob()] as const,
      ),
    );
    tinyModel = Object.fromEntries(entries) as Record<string, Blob>;
    $('em-model-name').textContent = `shipped tiny model (random weights): ${Object.keys(tinyModel).join(', ')}`;
  });
  $('em-table').addEventListener('change', async () => {
    const f = files('em-table')[0];
    table = null;
    for (const id of ['em-file-col', 'em-caption-col', 'em-attr-col']) ($(id) as HTMLSelectElement).replaceChildren();
    if (!f) return;
    try {
      const t = await parseTableBytes(await f.arrayBuffer(), f.name);
      table = { name: f.name, columns: t.columns, rows: t.rows as Record<string, unknown>[] };
      const fill = (id: string, pick: string | undefined, none: boolean) => {
        const sel = $(id) as HTMLSelectElement;
        sel.replaceChildren(...(none ? [new Option('(none)', '')] : []), ...t.columns.map((c) => new Option(c, c)));
        sel.value = pick ?? '';
      };
      const find = (re: RegExp) => t.columns.find((c) => re.test(c));
      fill('em-file-col', find(/^(file|image|path|filename)$/i) ?? t.columns[0], false);
      fill('em-caption-col', find(/^(caption|text|prompt)$/i), true);
      fill('em-attr-col', find(/^(gender|sex|race|age|attribute|group)$/i), true);
    } catch (e) {
      showError('em-error', e);
    }
  });
  $('em-cancel').addEventListener('click', () => client.cancel());
  $('em-form').addEventListener('submit', (e) => {
    e.preventDefault();
    start().catch((err: unknown) => {
      const msg = (err as Error)?.message ?? String(err);
      if (msg.startsWith('cancelled')) status(msg);
      else showError('em-error', err);
    });
  });
  $('em-dl-images').addEventListener('click', () => {
    if (last)
      save('images.npy', npy(last.result.images, last.names.length, last.result.dim), 'application/octet-stream');
  });
  $('em-dl-captions').addEventListener('click', () => {
    if (last?.result.captions)
      save('captions.npy', npy(last.result.captions, last.names.length, last.result.dim), 'application/octet-stream');
  });
  $('em-explore').addEventListener('click', async () => {
    if (!last) return;
    await saveHandoff(explorerData());
    location.href = './explorer.html?from=embed';
  });
  (globalThis as { __embed?: unknown }).__embed = { last: () => last };
  (globalThis as { __embedReady?: boolean }).__embedReady = true;
}

setup().catch((e) => showError('em-error', e));
