// The Debias tab's worker: parses the files, trains the BA module with the SDK's debias() — the call
// `m4kit debias --method ba` makes, on WebGPU here (or the float64 CPU backend when chosen) — and measures
// MaxSkew@k / NDKL@k / ABLE per attribute and zero-shot top-1 before and after, beside the CLIP-clip and
// biased-prompts baselines. Served over the demo's one worker protocol (rpc.ts); cancel = the page terminates
// this worker.
import { init, ArgumentError, ShapeError, type Kernels } from '@m4kit/kernels';
import {
  able,
  applyProjection,
  biasedPromptsProjection,
  biasRetrieval,
  checkDebiasInputs,
  classEmbeddings,
  clipClipSelect,
  DataError,
  debias,
  moduleToSafetensors,
  parseNpyBytes,
  parseTableBytes,
  selectDims,
  zeroShot,
  type DebiasModule,
  type DebiasValidation,
  type Embeddings,
} from '@m4kit/sdk';
import { serve, type CallContext } from '../rpc';
import type {
  AttributeMetrics,
  DebiasDone,
  DebiasProgress,
  DebiasRequest,
  FileIn,
  MethodResult,
  ToDebiasWorker,
} from './protocol';

/** Categories of a column numbered in sorted order, as `m4kit debias` numbers them (readAttributeLabels). */
async function column(f: FileIn, col: string): Promise<{ labels: Uint32Array; groups: string[] }> {
  const t = await parseTableBytes(f.bytes, f.name);
  if (!t.columns.includes(col))
    throw new DataError(`no column "${col}" (columns: ${t.columns.join(', ')})`, { file: f.name });
  const raw = t.rows.map((r, i) => {
    const v = r[col];
    if (v === null || v === undefined || v === '')
      throw new DataError('missing value', { file: f.name, row: i + 1, column: col });
    return String(v);
  });
  const groups = [...new Set(raw)].sort();
  const id = new Map(groups.map((g, i) => [g, i]));
  return { labels: Uint32Array.from(raw, (v) => id.get(v)!), groups };
}

function npy(f: FileIn): Embeddings {
  const e = parseNpyBytes(f.bytes, f.name);
  if (e.n === 0) throw new DataError('no rows (empty data)', { file: f.name });
  return e;
}

/** "0:1,2:3" → [[0, 1], [2, 3]] (the CLI's --pairs) */
function parsePairs(s: string, n: number): [number, number][] {
  return s
    .split(',')
    .filter((p) => p.trim())
    .map((p) => {
      const m = /^\s*(\d+)\s*[:-]\s*(\d+)\s*$/.exec(p);
      if (!m) throw new ArgumentError(`pairs: "${p}" is not "i:j" (candidate row indices, 0-based)`);
      const [a, b] = [Number(m[1]), Number(m[2])];
      if (a === b) throw new ArgumentError(`pairs: "${p.trim()}" pairs candidate ${a} with itself`);
      if (a >= n || b >= n) throw new ArgumentError(`pairs: "${p.trim()}" is outside the ${n} candidate prompts`);
      return [a, b];
    });
}

interface EvalSet {
  images: Embeddings;
  prompts: Embeddings;
  promptNames: string[];
  zsPrompts: Embeddings;
  promptClass: Uint32Array;
  classes: number;
  zsLabels: Uint32Array;
  attributes: { name: string; labels: Uint32Array; groups: string[] }[];
  k: number;
}

/** The numbers of one method: the transformed eval images, bias prompts and zero-shot prompts. */
async function measure(
  kernels: Kernels,
  ev: EvalSet,
  images: Embeddings,
  prompts: Embeddings,
  zsPrompts: Embeddings,
): Promise<{ top1: number; perAttribute: AttributeMetrics[] }> {
  const classes = classEmbeddings(zsPrompts, ev.promptClass, ev.classes);
  const zs = await zeroShot(kernels, images, classes, ev.zsLabels);
  const perAttribute: AttributeMetrics[] = [];
  for (const a of ev.attributes) {
    const br = await biasRetrieval(kernels, images, a.labels, a.groups, prompts, ev.promptNames, { k: ev.k });
    perAttribute.push({
      attribute: a.name,
      groups: a.groups,
      maxSkew: br.maxSkew,
      ndkl: br.ndkl,
      able: zs.top1 > 0 ? able(br.maxSkew, zs.top1) : 0,
    });
  }
  return { top1: zs.top1, perAttribute };
}

let gpu: Promise<Kernels> | null = null;

function adapterName(k: Kernels): string {
  const a = k.adapter;
  return [a?.vendor, a?.architecture, a?.device, a?.description].filter(Boolean).join(' · ') || 'adapter';
}

async function run(req: DebiasRequest, ctx: CallContext<DebiasProgress>): Promise<DebiasDone> {
  const F = req.files;
  const status = (text: string) => ctx.progress({ stage: 'status', text });
  status('reading the files…');
  const data = {
    images: npy(F.trainImages),
    captions: npy(F.trainCaptions),
    counterfactuals: npy(F.trainCounterfactuals),
  };
  const images = npy(F.evalImages);
  const prompts = npy(F.biasPrompts);
  const zsPrompts = npy(F.zeroshotPrompts);
  if (!req.attributes.length) throw new ArgumentError('choose at least one attribute column');
  const attributes = [];
  for (const a of req.attributes) {
    const c = await column(F.evalMeta, a);
    if (c.labels.length !== images.n)
      throw new ShapeError(`${F.evalImages.name} has ${images.n} rows but ${F.evalMeta.name} has ${c.labels.length}`);
    if (c.groups.length < 2)
      throw new DataError(`column "${a}" has one value only (${c.groups[0]})`, { file: F.evalMeta.name });
    attributes.push({ name: a, ...c });
  }
  const pm = await column(F.zeroshotPromptMeta, 'class');
  if (pm.labels.length !== zsPrompts.n)
    throw new ShapeError(
      `${F.zeroshotPrompts.name} has ${zsPrompts.n} rows but ${F.zeroshotPromptMeta.name} has ${pm.labels.length}`,
    );
  const cls = await column(F.evalMeta, req.classColumn);
  const classIndex = new Map(pm.groups.map((g, i) => [g, i]));
  const zsLabels = Uint32Array.from(cls.labels, (l, i) => {
    const c = classIndex.get(cls.groups[l]);
    if (c === undefined)
      throw new DataError(`class "${cls.groups[l]}" has no prompt in ${F.zeroshotPromptMeta.name}`, {
        file: F.evalMeta.name,
        row: i + 1,
        column: req.classColumn,
      });
    return c;
  });
  let promptNames = Array.from({ length: prompts.n }, (_, i) => `prompt ${i}`);
  if (F.biasPromptNames) {
    const lines = new TextDecoder()
      .decode(F.biasPromptNames.bytes)
      .split(/\r?\n/)
      .filter((l) => l.trim());
    if (lines.length !== prompts.n)
      throw new ShapeError(
        `${F.biasPromptNames.name} has ${lines.length} names but ${F.biasPrompts.name} ${prompts.n} rows`,
      );
    promptNames = lines;
  }
  if (!(Number.isInteger(req.k) && req.k >= 1)) throw new ArgumentError(`k must be a positive integer, got ${req.k}`);
  const ev: EvalSet = {
    images,
    prompts,
    promptNames,
    zsPrompts,
    promptClass: pm.labels,
    classes: pm.groups.length,
    zsLabels,
    attributes,
    k: req.k,
  };
  const primary = attributes[0];
  // the validation of `m4kit debias --validation … --attribute <primary> --skew-k k`: its own set when given
  let val = { images, labels: primary.labels, groups: primary.groups, zsLabels };
  if (F.valImages || F.valMeta) {
    const [vf, vm] = [F.valImages, F.valMeta];
    if (!vf || !vm) throw new ArgumentError('a validation set needs both its embeddings and its table');
    const vi = npy(vf);
    const vl = await column(vm, primary.name);
    if (vl.labels.length !== vi.n)
      throw new ShapeError(`${vf.name} has ${vi.n} rows but ${vm.name} has ${vl.labels.length}`);
    const vc = await column(vm, req.classColumn);
    const vz = Uint32Array.from(vc.labels, (l, i) => {
      const c = classIndex.get(vc.groups[l]);
      if (c === undefined)
        throw new DataError(`class "${vc.groups[l]}" has no prompt in ${F.zeroshotPromptMeta.name}`, {
          file: vm.name,
          row: i + 1,
          column: req.classColumn,
        });
      return c;
    });
    val = { images: vi, labels: vl.labels, groups: vl.groups, zsLabels: vz };
  }
  const validation: DebiasValidation = {
    images: val.images,
    labels: val.labels,
    groups: val.groups,
    prompts,
    promptNames,
    zeroShot: { images: val.images, labels: val.zsLabels, prompts: zsPrompts, promptClass: pm.labels },
    k: req.k,
  };
  const opts = { ...req.train, validation };
  checkDebiasInputs(data, opts); // shapes, empty data, bad values: before any GPU work

  status(req.backend === 'webgpu' ? 'starting WebGPU…' : 'float64 CPU backend');
  let kernels: Kernels;
  if (req.backend === 'webgpu') {
    const nav = (self as unknown as { navigator?: { gpu?: GPU } }).navigator;
    if (!nav?.gpu) throw new Error('WebGPU is not available in this browser: choose the CPU backend.');
    gpu ??= init({ backend: 'webgpu' });
    kernels = await gpu;
  } else kernels = await init({ backend: 'cpu' });
  const onGpu = kernels.backend === 'webgpu';

  const methods: MethodResult[] = [];
  status('measuring the original embeddings…');
  methods.push({
    id: 'original',
    label: 'original',
    note: 'frozen embeddings',
    ...(await measure(kernels, ev, images, prompts, zsPrompts)),
  });

  status('training the bias-alignment module…');
  const t0 = performance.now();
  const trained = await debias(data, {
    ...opts,
    kernels,
    onProgress: (p) => {
      if (p.eval) ctx.progress({ stage: 'eval', ev: p.eval });
      else if (p.loss)
        ctx.progress({
          stage: 'step',
          epoch: p.epoch,
          epochs: p.epochs,
          step: p.step,
          steps: p.stepsPerEpoch,
          loss: p.loss.total,
        });
    },
  });
  const ms = performance.now() - t0;
  const mod: DebiasModule = trained.module;
  const mm = onGpu ? kernels : undefined;
  status('measuring the debiased embeddings…');
  const baMeasured = await measure(
    kernels,
    ev,
    await mod.apply(images, { kernels: mm }),
    await mod.apply(prompts, { modality: 'text', kernels: mm }),
    await mod.apply(zsPrompts, { modality: 'text', kernels: mm }),
  );
  const c = mod.config;
  methods.push({
    id: 'ba',
    label: 'BA module (trained here)',
    note: `best validation ABLE at epoch ${c.bestEpoch === null ? '—' : c.bestEpoch + 1} of ${c.epochsRun}`,
    ...baMeasured,
  });

  if (req.clipClip.enabled) {
    if (!F.trainMeta)
      throw new ArgumentError('CLIP-clip needs the training metadata table (its attribute per training image)');
    status(`CLIP-clip: mutual information of every dimension with "${primary.name}"…`);
    const tl = await column(F.trainMeta, primary.name);
    if (tl.labels.length !== data.images.n)
      throw new ShapeError(
        `${F.trainImages.name} has ${data.images.n} rows but ${F.trainMeta.name} has ${tl.labels.length}`,
      );
    const m = req.clipClip.m;
    if (!(Number.isInteger(m) && m >= 1 && m <= images.d))
      throw new ArgumentError(`CLIP-clip: dimensions to keep must be an integer in [1, ${images.d}], got ${m}`);
    const sel = clipClipSelect(data.images, tl.labels, m);
    methods.push({
      id: 'clip-clip',
      label: 'CLIP-clip',
      note: `keeps the ${m} of ${images.d} dimensions with the lowest mutual information with ${primary.name}`,
      detail: { keep: Array.from(sel.keep) },
      ...(await measure(
        kernels,
        ev,
        selectDims(images, sel.keep),
        selectDims(prompts, sel.keep),
        selectDims(zsPrompts, sel.keep),
      )),
    });
  }
  if (req.biasedPrompts.enabled) {
    if (!F.spuriousPrompts) throw new ArgumentError('biased prompts needs the spurious prompt embeddings');
    status('biased prompts: calibrated projection…');
    const sp = npy(F.spuriousPrompts);
    const cand = F.candidatePrompts ? npy(F.candidatePrompts) : undefined;
    const pairs = cand ? parsePairs(req.biasedPrompts.pairs, cand.n) : [];
    const pr = biasedPromptsProjection(sp, cand, pairs, { lambda: req.biasedPrompts.lambda });
    methods.push({
      id: 'biased-prompts',
      label: 'biased prompts',
      note: `text side only: removes a rank-${pr.rank} spurious subspace (λ = ${pr.lambda}, ${pairs.length} pairs)`,
      detail: { rank: pr.rank },
      ...(await measure(
        kernels,
        ev,
        images,
        applyProjection(pr.P, pr.d, prompts),
        applyProjection(pr.P, pr.d, zsPrompts),
      )),
    });
  }
  if (!onGpu) kernels.destroy();
  return {
    name: req.name,
    backend: onGpu ? `WebGPU (${adapterName(kernels)})` : 'float64 CPU backend',
    train: { rows: data.images.n, dim: data.images.d },
    eval: { rows: images.n, prompts: prompts.n, classes: pm.groups.length, k: Math.min(req.k, images.n) },
    validation: { rows: val.images.n, separate: val.images !== images },
    methods,
    training: {
      history: trained.history,
      evals: trained.evals,
      bestEpoch: c.bestEpoch,
      epochsRun: c.epochsRun,
      epochs: req.train.epochs,
      stoppedEarly: c.epochsRun < req.train.epochs,
      ms,
    },
    module: { weights: moduleToSafetensors(mod), config: JSON.stringify(mod.config, null, 2) + '\n' },
  };
}

serve<ToDebiasWorker, DebiasProgress>({
  run: async (m, ctx) => {
    const result = await run(m.req, ctx);
    ctx.transfer.push(result.module.weights.buffer as ArrayBuffer);
    return result;
  },
});
