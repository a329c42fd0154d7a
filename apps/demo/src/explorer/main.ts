// The embedding explorer page: data in (the synthetic example, or .npy files + a metadata table) → PCA to 3-D
// with the kernels → WebGPU point sprites (render.ts) with an orbit camera, before / after debiasing, query
// labels, hover / click details. Without WebGPU: a 2-D Observable Plot scatter (fallback.ts), and the page says so.
import { takeHandoff } from './handoff';
import '../style.css';
import './explorer.css';
import { init, initFromDevice, type Kernels } from '@m4kit/kernels';
import { parseNpyBytes, parseTableBytes } from '@m4kit/sdk';
import type { FromTrainWorker } from './train-worker';
import { PALETTE, plotFallback } from './fallback';
import { pcaBasis, project } from './project';
import { PointView, STRIDE } from './render';
import type { ExplorerData } from './types';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
type Which = 'before' | 'after';

interface Projected {
  data: ExplorerData;
  /** n×3 per state; texts and queries likewise (null when absent) */
  images: Record<Which, Float32Array | null>;
  texts: Record<Which, Float32Array | null>;
  queries: Record<Which, Float32Array | null>;
  /** the instance arrays drawn, per state, and what each instance is */
  points: Record<Which, Float32Array | null>;
  kinds: { kind: 'image' | 'caption' | 'query'; row: number }[];
}

let kernels: Kernels | null = null;
let view: PointView | null = null;
let gpuReason = '';
let current: Projected | null = null;
let which: Which = 'before';
let pinned = -1;

function status(s: string): void {
  $('ex-status').textContent = s;
}
function showError(e: unknown): void {
  const el = $('ex-error');
  if (e === null) {
    el.hidden = true;
    return;
  }
  el.textContent = (e as Error)?.message ?? String(e);
  el.hidden = false;
}

async function setup(): Promise<void> {
  let device: GPUDevice | null = null;
  try {
    if (!('gpu' in navigator) || !navigator.gpu) throw new Error('navigator.gpu is missing');
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter');
    device = await adapter.requestDevice();
  } catch (e) {
    gpuReason = (e as Error)?.message ?? String(e);
  }
  if (device) {
    kernels = initFromDevice(device);
    const present = new URLSearchParams(location.search).get('present') === 'readback' ? 'readback' : 'canvas';
    view = PointView.create(device, $('ex-canvas') as HTMLCanvasElement, present);
    view.onDraw = placeLabels;
    status(
      `WebGPU: ${kernels.adapter?.description || 'adapter ready'}. Projection (PCA) and drawing run on the GPU` +
        (present === 'readback' ? ' (frames read back to a 2-D canvas: ?present=readback).' : '.'),
    );
  } else {
    kernels = await init({ backend: 'cpu' });
    $('ex-stage').hidden = true;
    $('ex-plot').hidden = false;
    const fb = $('ex-fallback');
    fb.hidden = false;
    fb.textContent =
      `No WebGPU in this browser (${gpuReason}): showing a 2-D Observable Plot scatter of the first two ` +
      'principal axes instead of the 3-D view; the projection runs on the float64 CPU backend.';
    status('WebGPU unavailable: 2-D fallback.');
  }
  wire();
}

function color(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

function instances(
  d: ExplorerData,
  img: Float32Array,
  txt: Float32Array | null,
  qry: Float32Array | null,
  showTexts: boolean,
): { data: Float32Array; kinds: Projected['kinds'] } {
  const kinds: Projected['kinds'] = [];
  const nT = txt && showTexts ? d.n : 0;
  const nQ = qry && d.queries ? d.queries.names.length : 0;
  const out = new Float32Array((d.n + nT + nQ) * STRIDE);
  let o = 0;
  const put = (p: Float32Array, i: number, size: number, rgb: [number, number, number], a: number, shape: number) => {
    out.set([p[i * 3], p[i * 3 + 1], p[i * 3 + 2], size, rgb[0], rgb[1], rgb[2], a, shape], o);
    o += STRIDE;
  };
  if (nT)
    for (let i = 0; i < d.n; i++) {
      put(txt!, i, 3.5, color(PALETTE[d.group[i] % PALETTE.length]), 0.45, 1);
      kinds.push({ kind: 'caption', row: i });
    }
  for (let i = 0; i < d.n; i++) {
    const q = d.q ? Math.max(0, Math.min(1, d.q[i])) : 1;
    put(img, i, 2 + 4 * q, color(PALETTE[d.group[i] % PALETTE.length]), 0.2 + 0.75 * q, 0);
    kinds.push({ kind: 'image', row: i });
  }
  for (let i = 0; i < nQ; i++) {
    put(qry!, i, 9, [0, 0, 0], 1, 1);
    kinds.push({ kind: 'query', row: i });
  }
  return { data: out, kinds };
}

async function show(d: ExplorerData): Promise<void> {
  const k = kernels!;
  status('projecting to 3-D (PCA on the ' + (k.backend === 'webgpu' ? 'GPU' : 'CPU backend') + ')…');
  // one basis, fitted on the images before debiasing, for both states: the views are comparable
  const basis = await pcaBasis(k, d.images.before, d.n, d.D);
  const scale = 1 / Math.sqrt(Math.max(basis.variance[0], 1e-12));
  const proj = async (x: Float32Array | undefined, rows: number) => {
    if (!x) return null;
    const p = await project(k, basis, x, rows);
    for (let i = 0; i < p.length; i++) p[i] *= scale;
    return p;
  };
  const nQ = d.queries?.names.length ?? 0;
  current = {
    data: d,
    images: { before: await proj(d.images.before, d.n), after: await proj(d.images.after, d.n) },
    texts: { before: await proj(d.texts?.before, d.n), after: await proj(d.texts?.after, d.n) },
    queries: { before: await proj(d.queries?.before, nQ), after: await proj(d.queries?.after, nQ) },
    points: { before: null, after: null },
    kinds: [],
  };
  $('ex-source').textContent = d.source;
  $('ex-module').hidden = !d.module;
  ($('ex-after') as HTMLInputElement).disabled = !d.images.after;
  if (!d.images.after) ($('ex-before') as HTMLInputElement).checked = true;
  which = d.images.after && ($('ex-after') as HTMLInputElement).checked ? 'after' : 'before';
  legend(d);
  rebuild();
  view?.fit();
  $('ex-view').hidden = false;
  status(
    `${d.n} images${d.texts ? ` and ${d.n} captions` : ''}${nQ ? `, ${nQ} queries` : ''}; axes = the top 3 ` +
      'principal components of the images before debiasing ' +
      `(variance ${basis.variance.map((v) => v.toPrecision(3)).join(', ')}).`,
  );
  (globalThis as unknown as { __explorerReady: boolean }).__explorerReady = true;
}

function rebuild(): void {
  if (!current) return;
  const c = current;
  const showTexts = ($('ex-texts') as HTMLInputElement).checked;
  const st = which === 'after' && c.images.after ? 'after' : 'before';
  const img = c.images[st]!;
  const txt = c.texts[st] ?? (st === 'before' ? null : c.texts.before);
  const qry = c.queries[st] ?? c.queries.before;
  const built = instances(c.data, img, txt, qry, showTexts);
  c.points[st] = built.data;
  c.kinds = built.kinds;
  $('ex-state').textContent = st === 'after' ? 'after debiasing' : 'before debiasing';
  if (view) view.setPoints(built.data);
  else plotFallback($('ex-plot'), c.data, img, qry, st);
  labels();
}

function legend(d: ExplorerData): void {
  const el = $('ex-legend');
  el.replaceChildren();
  d.groupNames.forEach((g, i) => {
    const s = document.createElement('span');
    s.className = 'swatch';
    s.style.setProperty('--c', PALETTE[i % PALETTE.length]);
    s.textContent = g;
    el.append(s);
  });
  const note = document.createElement('span');
  note.className = 'hint';
  note.textContent = d.q
    ? ' · disc size and opacity = keep probability q · rings = captions · black rings = queries'
    : ' · rings = captions · black rings = queries';
  el.append(note);
}

function labels(): void {
  const box = $('ex-labels');
  box.replaceChildren();
  if (!current?.data.queries || !view) return;
  for (const name of current.data.queries.names) {
    const s = document.createElement('span');
    s.className = 'qlabel';
    s.textContent = name;
    box.append(s);
  }
  placeLabels();
}

function placeLabels(): void {
  if (!current?.data.queries || !view) return;
  const st = which === 'after' && current.queries.after ? 'after' : 'before';
  const P = current.queries[st] ?? current.queries.before;
  if (!P) return;
  const spans = $('ex-labels').children;
  const m = view.viewProj();
  for (let i = 0; i < spans.length; i++) {
    const [x, y, w] = view.screenOf(P.subarray(i * 3, i * 3 + 3), m);
    const el = spans[i] as HTMLElement;
    el.hidden = w <= 0;
    el.style.transform = `translate(${x.toFixed(1)}px, ${(y - 22).toFixed(1)}px)`;
  }
}

function details(idx: number): void {
  const el = $('ex-details');
  if (!current || idx < 0) {
    el.replaceChildren();
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = 'Hover over a point to see its row; click to pin it.';
    el.append(p);
    return;
  }
  const { kind, row } = current.kinds[idx];
  const d = current.data;
  const entries: [string, string][] = [['kind', kind]];
  if (kind === 'query') entries.push(['query', d.queries!.names[row]]);
  else {
    entries.push(['row', String(row)], ['group', d.groupNames[d.group[row]]]);
    if (d.q) entries.push(['q', d.q[row].toFixed(4)]);
    for (const [k, v] of Object.entries(d.rows[row] ?? {})) entries.push([k, v]);
  }
  const t = document.createElement('table');
  t.className = 'grid';
  const cap = document.createElement('caption');
  cap.textContent = pinned === idx ? 'Pinned point' : 'Point under the pointer';
  t.append(cap);
  for (const [k, v] of entries) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = k;
    const td = document.createElement('td');
    td.textContent = v;
    td.dataset.key = k;
    tr.append(th, td);
    t.append(tr);
  }
  el.replaceChildren(t);
}

function wire(): void {
  const canvas = $('ex-canvas') as HTMLCanvasElement;
  let drag: { x: number; y: number } | null = null;
  canvas.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointerup', (e) => {
    if (drag && Math.hypot(e.clientX - drag.x, e.clientY - drag.y) < 3 && view) {
      const r = canvas.getBoundingClientRect();
      const i = view.pick(e.clientX - r.left, e.clientY - r.top);
      pinned = pinned === i ? -1 : i;
      details(i);
    }
    drag = null;
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!view) return;
    if (drag && e.buttons) {
      view.rotate((e.clientX - drag.x) * 0.01, (e.clientY - drag.y) * 0.01);
      drag = { x: e.clientX, y: e.clientY };
      return;
    }
    if (pinned >= 0) return;
    const r = canvas.getBoundingClientRect();
    details(view.pick(e.clientX - r.left, e.clientY - r.top));
  });
  canvas.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      view?.zoom(Math.exp(e.deltaY * 0.001));
    },
    { passive: false },
  );
  canvas.addEventListener('keydown', (e) => {
    const step = 0.1;
    const act: Record<string, () => void> = {
      ArrowLeft: () => view?.rotate(-step, 0),
      ArrowRight: () => view?.rotate(step, 0),
      ArrowUp: () => view?.rotate(0, step),
      ArrowDown: () => view?.rotate(0, -step),
      '+': () => view?.zoom(0.9),
      '=': () => view?.zoom(0.9),
      '-': () => view?.zoom(1.1),
    };
    if (act[e.key]) {
      e.preventDefault();
      act[e.key]();
    }
  });
  for (const id of ['ex-before', 'ex-after']) {
    $(id).addEventListener('change', () => {
      which = ($('ex-after') as HTMLInputElement).checked ? 'after' : 'before';
      pinned = -1;
      rebuild();
    });
  }
  $('ex-texts').addEventListener('change', () => rebuild());
  let worker: Worker | null = null;
  let cancelled: (() => void) | null = null;
  // the example trains in a worker (progress on the status line); Cancel terminates it
  const inWorker = () =>
    new Promise<ExplorerData>((resolve, reject) => {
      worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'm4kit-explorer' });
      cancelled = () => reject(new Error('cancelled: the training worker was stopped'));
      worker.onmessage = (e: MessageEvent<FromTrainWorker>) => {
        const m = e.data;
        if (m.type === 'progress') status(m.text);
        else if (m.type === 'done') resolve(m.data);
        else reject(new Error(m.message));
      };
      worker.onerror = (e) => reject(new Error(`training worker failed: ${e.message}`));
      worker.postMessage({ type: 'example' });
    }).finally(() => {
      worker?.terminate();
      worker = null;
      cancelled = null;
      ($('ex-cancel') as HTMLButtonElement).disabled = true;
    });
  $('ex-example').addEventListener('click', () => {
    ($('ex-cancel') as HTMLButtonElement).disabled = false;
    void run(inWorker);
  });
  $('ex-cancel').addEventListener('click', () => {
    worker?.terminate();
    cancelled?.();
  });
  $('ex-meta').addEventListener('change', async () => {
    const f = ($('ex-meta') as HTMLInputElement).files?.[0];
    if (!f) return;
    try {
      const chunk = await parseTableBytes(await f.arrayBuffer(), f.name);
      for (const sel of ['ex-group', 'ex-q']) {
        const s = $(sel) as HTMLSelectElement;
        s.replaceChildren(
          ...(sel === 'ex-q' ? [new Option('(none: uniform)', '')] : []),
          ...chunk.columns.map((c) => new Option(c, c)),
        );
      }
      showError(null);
    } catch (e) {
      showError(e);
    }
  });
  const save = (bytes: Uint8Array | string, name: string, type: string) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  };
  $('ex-dl-weights').addEventListener('click', () => {
    const m = current?.data.module;
    if (m) save(m.weights, `${m.name}.safetensors`, 'application/octet-stream');
  });
  $('ex-dl-config').addEventListener('click', () => {
    const m = current?.data.module;
    if (m) save(m.config, `${m.name}.json`, 'application/json');
  });
  $('ex-files').addEventListener('submit', (e) => {
    e.preventDefault();
    run(fromFiles);
  });
  details(-1);
  // from the Embed tab: the embeddings it just made (explorer/handoff.ts)
  if (new URLSearchParams(location.search).get('from') === 'embed') void run(takeHandoff);
  // for the e2e test: rotate and pick without synthesising pointer events
  (globalThis as unknown as { __explorer: unknown }).__explorer = {
    rotate: (a: number, b: number) => view?.rotate(a, b),
    drawn: () => view?.whenDrawn(),
    /** pixel census of the rendered view (offscreen render + readback): drawn pixels, blue- and orange-ish ones */
    census: async () => {
      if (!view) return null;
      const { rgba, width, height } = await view.readPixels();
      let ink = 0;
      let blue = 0;
      let orange = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        const [r, g, b] = [rgba[i], rgba[i + 1], rgba[i + 2]];
        if (r < 245 || g < 245 || b < 245) ink++;
        if (b > r + 40 && b > g + 20) blue++;
        if (r > b + 40 && r > g + 20) orange++;
      }
      return { ink, blue, orange, total: width * height };
    },
    camera: () => view?.camera,
    which: () => which,
    count: () => current?.kinds.length ?? 0,
    /** raw and debiased embedding of image row i (for comparing a downloaded module with the page) */
    imageRow: (i: number) => {
      const d = current?.data;
      if (!d) return null;
      const at = (x: Float32Array | undefined) => (x ? Array.from(x.subarray(i * d.D, (i + 1) * d.D)) : null);
      return { before: at(d.images.before), after: at(d.images.after) };
    },
    /** CSS-pixel position of image row i in the current state */
    screenOfImage: (i: number) => {
      if (!view || !current) return null;
      const idx = current.kinds.findIndex((k) => k.kind === 'image' && k.row === i);
      const st = which === 'after' && current.images.after ? 'after' : 'before';
      return view
        .screenOf(current.images[st]!.subarray(i * 3, i * 3 + 3))
        .slice(0, 2)
        .concat(idx);
    },
  };
}

async function run(fn: () => Promise<ExplorerData>): Promise<void> {
  const buttons = [$('ex-example'), $('ex-load')] as HTMLButtonElement[];
  buttons.forEach((b) => (b.disabled = true));
  showError(null);
  try {
    await show(await fn());
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    if (msg.startsWith('cancelled')) status(msg);
    else {
      showError(e);
      status('failed: ' + msg);
    }
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

async function fromFiles(): Promise<ExplorerData> {
  const file = (id: string) => ($(id) as HTMLInputElement).files?.[0] ?? null;
  const imgF = file('ex-images');
  const metaF = file('ex-meta');
  if (!imgF) throw new Error('choose the image embeddings (.npy)');
  if (!metaF) throw new Error('choose the metadata table (one row per image)');
  const npy = async (f: File | null) => (f ? parseNpyBytes(await f.arrayBuffer(), f.name) : null);
  const img = (await npy(imgF))!;
  const after = await npy(file('ex-images-after'));
  const qb = await npy(file('ex-queries'));
  const qa = await npy(file('ex-queries-after'));
  const f32 = (e: { data: ArrayLike<number> }) => Float32Array.from(e.data);
  if (after && (after.n !== img.n || after.d !== img.d))
    throw new Error(
      `${file('ex-images-after')!.name}: [${after.n}, ${after.d}] does not match the images [${img.n}, ${img.d}]`,
    );
  for (const [q, f] of [
    [qb, file('ex-queries')],
    [qa, file('ex-queries-after')],
  ] as const) {
    if (q && q.d !== img.d) throw new Error(`${f!.name}: dimension ${q.d}, the images have ${img.d}`);
  }
  const chunk = await parseTableBytes(await metaF.arrayBuffer(), metaF.name);
  if (chunk.rows.length !== img.n)
    throw new Error(
      `${metaF.name}: ${chunk.rows.length} rows, but ${imgF.name} has ${img.n} embeddings (one metadata row per image)`,
    );
  const gcol = ($('ex-group') as HTMLSelectElement).value;
  const qcol = ($('ex-q') as HTMLSelectElement).value;
  if (!gcol) throw new Error('choose the group column');
  const names: string[] = [];
  const index = new Map<string, number>();
  const group = new Uint32Array(img.n);
  const q = qcol ? new Float64Array(img.n) : undefined;
  const rows = chunk.rows.map((r, i) => {
    const g = r[gcol] == null ? 'NA' : String(r[gcol]);
    if (!index.has(g)) {
      index.set(g, names.length);
      names.push(g);
    }
    group[i] = index.get(g)!;
    if (q) {
      const v = Number(r[qcol]);
      // line i + 2: the header is line 1
      if (!(v >= 0 && v <= 1))
        throw new Error(
          `${metaF.name}, row ${i + 1} (line ${i + 2}), column ${qcol}: q = ${String(r[qcol])} is not in [0, 1]`,
        );
      q[i] = v;
    }
    return Object.fromEntries(chunk.columns.map((c) => [c, r[c] == null ? '' : String(r[c])]));
  });
  const nameText = file('ex-names') ? (await file('ex-names')!.text()).split(/\r?\n/).filter((s) => s.trim()) : [];
  const queries = qb
    ? {
        names: Array.from({ length: qb.n }, (_, i) => nameText[i] ?? `query ${i}`),
        before: f32(qb),
        after: qa ? f32(qa) : undefined,
      }
    : undefined;
  if (qa && qb && qa.n !== qb.n)
    throw new Error(`${file('ex-queries-after')!.name}: ${qa.n} queries, ${file('ex-queries')!.name} has ${qb.n}`);
  return {
    source:
      `your files: ${imgF.name}${after ? ` (after: ${file('ex-images-after')!.name})` : ''}, ${metaF.name}` +
      (qb ? `, queries ${file('ex-queries')!.name}` : ''),
    D: img.d,
    n: img.n,
    groupNames: names,
    group,
    q,
    rows,
    images: { before: f32(img), after: after ? f32(after) : undefined },
    queries,
  };
}

setup().catch((e) => {
  showError(e);
  status('setup failed');
});
