// m4kit debias: train / fit a debiasing method on precomputed embeddings and write the module or the debiased
// embeddings. Every input is read and checked before any GPU work.
import {
  applyProjection,
  atomicWrite,
  biasedPromptsProjection,
  checkDebiasInputs,
  clipClipSelect,
  debias,
  loadDebiasModule,
  readAttributeLabels,
  readEmbeddings,
  saveDebiasModule,
  selectDims,
  writeNpy,
  biasPrompts,
  FAIRFACE_AGE_THRESHOLDS,
  type DebiasValidation,
  type Embeddings,
} from '@m4kit/sdk/node';
import { ArgumentError, ShapeError } from '@m4kit/kernels';
import { writeFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';

export const DEBIAS_METHODS = ['ba', 'clip-clip', 'biased-prompts'] as const;
export type DebiasMethod = (typeof DEBIAS_METHODS)[number];

export interface DebiasCliOptions {
  method: string;
  images?: string;
  texts?: string;
  counterfactual?: string;
  labels?: string;
  attribute?: string;
  m?: number;
  k?: number;
  spurious?: string;
  candidates?: string;
  pairs?: string;
  lambda?: number;
  module?: string;
  apply?: string;
  modality: 'image' | 'text';
  epochs?: number;
  batchSize?: number;
  queueSize?: number;
  lr?: number;
  alpha?: number;
  tau?: number;
  hidden1?: number;
  hidden2?: number;
  seed?: number;
  backend: 'auto' | 'webgpu' | 'cpu';
  out?: string;
  outEmbeddings?: string;
  json?: boolean;
  progress?: boolean;
  validation?: string;
  validationLabels?: string;
  biasPrompts?: string;
  zeroshotImages?: string;
  zeroshotLabels?: string;
  classColumn?: string;
  zeroshotPrompts?: string;
  zeroshotPromptMeta?: string;
  patience?: number;
  evalEvery?: number;
  skewK?: number;
  bins?: string;
}

/** --bins "30,60" → thresholds; age columns default to the official FairFace 3 classes */
function ageBins(o: DebiasCliOptions): number[] | undefined {
  if (o.bins !== undefined) {
    const t = o.bins.split(',').map((x) => Number(x.trim()));
    if (!t.length || t.some((x) => !Number.isFinite(x)))
      throw new ArgumentError(`--bins: "${o.bins}" is not a list of ages such as 30,60`);
    return t;
  }
  return o.attribute?.toLowerCase() === 'age' ? [...FAIRFACE_AGE_THRESHOLDS] : undefined;
}

function sayBins(attribute: string, bins?: { class: string; values: string[] }[]): void {
  if (bins)
    console.error(
      `m4kit: --attribute ${attribute} binned into ${bins.length} classes: ${bins.map((b) => `${b.class} (${b.values.join(', ') || 'none'})`).join('; ')}`,
    );
}

/** --validation …: the official protocol's validation set (bias on the validation images, zero-shot alignment) */
async function readValidation(o: DebiasCliOptions): Promise<DebiasValidation | undefined> {
  const flags = {
    '--validation-labels': o.validationLabels,
    '--bias-prompts': o.biasPrompts,
    '--zeroshot-images': o.zeroshotImages,
    '--zeroshot-labels': o.zeroshotLabels,
    '--zeroshot-prompts': o.zeroshotPrompts,
    '--zeroshot-prompt-meta': o.zeroshotPromptMeta,
  };
  if (!o.validation) {
    const given = Object.entries(flags)
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k);
    const also = [
      ...(o.patience !== undefined ? ['--patience'] : []),
      ...(o.evalEvery !== undefined ? ['--eval-every'] : []),
      ...(o.skewK !== undefined ? ['--skew-k'] : []),
    ];
    if (given.length || also.length)
      throw new ArgumentError(`${[...given, ...also].join(', ')} need --validation <images>`);
    return undefined;
  }
  for (const [k, v] of Object.entries(flags))
    if (v === undefined) throw new ArgumentError(`--validation needs ${k} <file>`);
  if (o.skewK !== undefined && !(Number.isInteger(o.skewK) && o.skewK >= 1))
    throw new ArgumentError(`--skew-k must be a positive integer, got ${o.skewK}`);
  const attribute = need(o.attribute, '--attribute <column> (of --validation-labels)', 'ba --validation');
  const images = nonEmpty(await readEmbeddings(o.validation), o.validation);
  const att = await readAttributeLabels(o.validationLabels!, attribute, { ageBins: ageBins(o) });
  sayBins(attribute, att.bins);
  if (att.labels.length !== images.n)
    throw new ShapeError(`${o.validation} has ${images.n} rows but ${o.validationLabels} has ${att.labels.length}`);
  const prompts = nonEmpty(await readEmbeddings(o.biasPrompts!), o.biasPrompts!);
  const zsImages = nonEmpty(await readEmbeddings(o.zeroshotImages!), o.zeroshotImages!);
  const zsPrompts = nonEmpty(await readEmbeddings(o.zeroshotPrompts!), o.zeroshotPrompts!);
  const pm = await readAttributeLabels(o.zeroshotPromptMeta!, 'class');
  if (pm.labels.length !== zsPrompts.n)
    throw new ShapeError(
      `${o.zeroshotPrompts} has ${zsPrompts.n} rows but ${o.zeroshotPromptMeta} has ${pm.labels.length}`,
    );
  const cls = await readAttributeLabels(o.zeroshotLabels!, o.classColumn ?? 'label');
  if (cls.labels.length !== zsImages.n)
    throw new ShapeError(`${o.zeroshotImages} has ${zsImages.n} rows but ${o.zeroshotLabels} has ${cls.labels.length}`);
  const idx = new Map(pm.groups.map((g, i) => [g, i]));
  const labels = Uint32Array.from(cls.labels, (l, i) => {
    const c = idx.get(cls.groups[l]);
    if (c === undefined)
      throw new ArgumentError(
        `${o.zeroshotLabels}, row ${i + 1}: class "${cls.groups[l]}" has no prompt in ${o.zeroshotPromptMeta}`,
      );
    return c;
  });
  const names = prompts.n === 319 ? biasPrompts() : undefined;
  return {
    images,
    labels: att.labels,
    groups: att.groups,
    prompts,
    promptNames: names,
    zeroShot: { images: zsImages, labels, prompts: zsPrompts, promptClass: pm.labels },
    ...(o.skewK !== undefined ? { k: o.skewK } : {}),
  };
}

function need<T>(v: T | undefined, flag: string, method: string): T {
  if (v === undefined || v === '') throw new ArgumentError(`--method ${method} needs ${flag}`);
  return v;
}

/** "0:1,2:3" → [[0,1],[2,3]] */
export function parsePairs(s: string): [number, number][] {
  return s
    .split(',')
    .filter(Boolean)
    .map((p) => {
      const m = /^\s*(\d+)\s*[:\-]\s*(\d+)\s*$/.exec(p);
      if (!m) throw new ArgumentError(`--pairs: "${p}" is not "i:j" (candidate row indices, 0-based)`);
      const [i, j] = [Number(m[1]), Number(m[2])];
      // indices compared as numbers: "01:1" is candidate 1 with itself too
      if (!Number.isSafeInteger(i) || !Number.isSafeInteger(j))
        throw new ArgumentError(`--pairs: "${p.trim()}" holds an index beyond 2^53 (candidate rows count from 0)`);
      if (i === j)
        throw new ArgumentError(
          `--pairs: "${p.trim()}" pairs candidate ${i} with itself: its difference is 0, so it calibrates nothing`,
        );
      return [i, j] as [number, number];
    });
}

function bar(o: DebiasCliOptions, label: string): cliProgress.SingleBar | undefined {
  if (o.json || o.progress === false || !process.stderr.isTTY) return undefined;
  return new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {value}/{total} {info}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
}

function nonEmpty(e: Embeddings, file: string): Embeddings {
  if (e.n === 0) throw new ArgumentError(`${file}: no rows (empty data)`);
  return e;
}

export async function runDebias(o: DebiasCliOptions): Promise<void> {
  if (!(DEBIAS_METHODS as readonly string[]).includes(o.method))
    throw new ArgumentError(`unknown method "${o.method}" (choose ${DEBIAS_METHODS.join(', ')})`);
  const method = o.method as DebiasMethod;
  const t0 = Date.now();
  let report: Record<string, unknown> = { method };

  if (method === 'biased-prompts') {
    const spFile = need(o.spurious, '--spurious <file>', method);
    const textsFile = need(o.texts, '--texts <file> (text embeddings to debias)', method);
    const spurious = nonEmpty(await readEmbeddings(spFile), spFile);
    const texts = nonEmpty(await readEmbeddings(textsFile), textsFile);
    const pairs = o.pairs ? parsePairs(o.pairs) : [];
    const cand = o.candidates ? nonEmpty(await readEmbeddings(o.candidates), o.candidates) : undefined;
    if (pairs.length && !cand) throw new ArgumentError('--pairs needs --candidates <file>');
    if (texts.d !== spurious.d) throw new ShapeError(`${textsFile} has dimension ${texts.d}, ${spFile} ${spurious.d}`);
    const pr = biasedPromptsProjection(spurious, cand, pairs, { lambda: o.lambda ?? 1000 });
    const out = applyProjection(pr.P, pr.d, texts);
    const dest = o.outEmbeddings ?? o.out;
    if (dest) await writeNpy(dest, out);
    report = {
      ...report,
      dim: pr.d,
      removedRank: pr.rank,
      lambda: pr.lambda,
      pairs: pairs.length,
      texts: texts.n,
      wrote: dest ?? null,
    };
  } else if (method === 'clip-clip') {
    const imgFile = need(o.images, '--images <file>', method);
    const labFile = need(o.labels, '--labels <table>', method);
    const attribute = need(o.attribute, '--attribute <column>', method);
    const m = need(o.m, '--m <dims>', method);
    const images = nonEmpty(await readEmbeddings(imgFile), imgFile);
    const { labels, groups, bins } = await readAttributeLabels(labFile, attribute, { ageBins: ageBins(o) });
    sayBins(attribute, bins);
    if (labels.length !== images.n)
      throw new ShapeError(`${imgFile} has ${images.n} rows but ${labFile} has ${labels.length} labels`);
    if (!Number.isInteger(m) || m < 1 || m > images.d)
      throw new ArgumentError(`--m must be an integer in [1, ${images.d}], got ${m}`);
    const applyE = o.apply ? nonEmpty(await readEmbeddings(o.apply), o.apply) : undefined;
    if (applyE && applyE.d !== images.d)
      throw new ShapeError(`${o.apply} has dimension ${applyE.d}, ${imgFile} ${images.d}`);
    const b = bar(o, 'mutual information');
    b?.start(images.d, 0, { info: '' });
    const res = clipClipSelect(images, labels, m, { k: o.k ?? 5, onDim: (done) => b?.update(done, { info: '' }) });
    b?.stop();
    if (o.out)
      await atomicWrite(o.out, (tmp) =>
        writeFile(tmp, JSON.stringify({ keep: Array.from(res.keep), mi: Array.from(res.mi), groups }, null, 1) + '\n'),
      );
    if (applyE && o.outEmbeddings) await writeNpy(o.outEmbeddings, selectDims(applyE, res.keep));
    const top = Array.from(res.mi)
      .map((v, i) => [i, v] as const)
      .sort((a, c) => c[1] - a[1])
      .slice(0, 5);
    report = {
      ...report,
      dim: images.d,
      kept: res.keep.length,
      groups,
      highestMI: top.map(([i, v]) => ({ dim: i, mi: v })),
      keep: Array.from(res.keep),
      wrote: o.out ?? null,
    };
  } else {
    const backend = o.backend;
    if (o.module) {
      // apply a saved module
      const mod = await loadDebiasModule(o.module);
      const file = need(o.apply, '--apply <file>', 'ba --module');
      const e = nonEmpty(await readEmbeddings(file), file);
      if (e.d !== mod.dim) throw new ShapeError(`${file} has dimension ${e.d}, the module ${mod.dim}`);
      const out = await mod.apply(e, { modality: o.modality });
      const dest = need(o.outEmbeddings ?? o.out, '--out-embeddings <file.npy>', 'ba --module');
      await writeNpy(dest, out);
      report = { ...report, applied: file, modality: o.modality, rows: out.n, wrote: dest };
    } else {
      const imgFile = need(o.images, '--images <file>', method);
      const txtFile = need(o.texts, '--texts <file> (factual captions)', method);
      const cfFiles = need(o.counterfactual, '--counterfactual <file> (attribute-swapped captions)', method)
        .split(',')
        .map((p) => p.trim());
      if (cfFiles.some((p) => !p))
        throw new ArgumentError(`--counterfactual "${o.counterfactual}": an empty file name in the list`);
      const data = {
        images: await readEmbeddings(imgFile),
        captions: await readEmbeddings(txtFile),
        counterfactuals: await readEmbeddings(cfFiles[0]),
        // more sets: each row draws one of them every epoch, seeded by (--seed, epoch)
        counterfactualAlternatives: await Promise.all(cfFiles.slice(1).map((p) => readEmbeddings(p))),
      };
      const opts = {
        epochs: o.epochs,
        batchSize: o.batchSize,
        queueSize: o.queueSize,
        lr: o.lr,
        alpha: o.alpha,
        tau: o.tau,
        hidden1: o.hidden1,
        hidden2: o.hidden2,
        seed: o.seed,
        backend,
        patience: o.patience,
        evalEvery: o.evalEvery,
        validation: await readValidation(o),
      };
      for (const k of Object.keys(opts) as (keyof typeof opts)[]) if (opts[k] === undefined) delete opts[k];
      checkDebiasInputs(data, opts); // shapes, empty data, bad values: before any GPU work
      const out = need(o.out, '-o, --out <module.safetensors>', method);
      const b = bar(o, 'train');
      let started = false;
      const res = await debias(data, {
        ...opts,
        onProgress: (p) => {
          if (!b || !p.loss) return;
          const total = p.epochs * p.stepsPerEpoch;
          if (!started) {
            b.start(total, 0, { info: '' });
            started = true;
          }
          b.update(p.epoch * p.stepsPerEpoch + p.step, {
            info: `epoch ${p.epoch + 1} loss ${p.loss.total.toFixed(4)}`,
          });
        },
      });
      b?.stop();
      const paths = await saveDebiasModule(res.module, out);
      if (o.apply && o.outEmbeddings) {
        const e = await readEmbeddings(o.apply);
        await writeNpy(o.outEmbeddings, await res.module.apply(e, { modality: o.modality }));
      }
      const c = res.module.config;
      report = {
        ...report,
        dim: data.images.d,
        examples: data.images.n,
        counterfactualSets: cfFiles.length, // > 1: each row's counterfactual redrawn every epoch (seeded)
        epochs: c.epochsRun,
        bestEpoch: c.bestEpoch,
        evals: c.evals,
        history: res.history,
        wrote: paths,
      };
    }
  }
  report.timeMs = Date.now() - t0;
  if (o.json) console.log(JSON.stringify(report, null, 2));
  else {
    const lines = [`m4kit debias — ${method} (${report.timeMs} ms)`];
    for (const [k, v] of Object.entries(report))
      if (k !== 'method' && k !== 'timeMs' && k !== 'history' && k !== 'keep')
        lines.push(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    console.log(lines.join('\n'));
  }
}
