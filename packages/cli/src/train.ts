// m4kit train: dual-encoder projection heads on precomputed (frozen) features.
import { init, type Kernels } from '@m4kit/kernels';
import {
  atomicWrite,
  DataError,
  readEmbeddings,
  readTable,
  resolveTrainOptions,
  retrieval,
  train,
  TrainConfigError,
  type PairedData,
  type TrainConfig,
  type TrainLogRecord,
  type TrainStage,
} from '@m4kit/sdk/node';
import { isMissing, numberOf, resolveStages } from '@m4kit/sdk/advanced';
import cliProgress from 'cli-progress';
import { appendFile, writeFile } from 'node:fs/promises';

export interface TrainCliOptions {
  images: string;
  texts: string;
  m4?: string;
  qColumn: string;
  sampling: 'keep' | 'weights';
  stage2Images?: string;
  stage2Texts?: string;
  stage2M4?: string;
  switchAt: number;
  loss: 'clip' | 'siglip';
  outDim: number;
  imageHidden: number[];
  textHidden: number[];
  batchSize: number;
  steps: number;
  lr: number;
  weightDecay: number;
  warmup: number;
  clipNorm?: number;
  seed: number;
  logEvery: number;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
  evalImages?: string;
  evalTexts?: string;
  evalEvery?: number;
  metrics?: string;
  backend: 'auto' | 'webgpu' | 'cpu';
  out?: string;
  json?: boolean;
  progress?: boolean;
}

async function readQ(spec: string, column: string, n: number, sampling: 'keep' | 'weights'): Promise<Float32Array> {
  const q: number[] = [];
  for await (const ch of readTable(spec)) {
    if (!ch.columns.includes(column))
      throw new DataError(`no column "${column}" (columns: ${ch.columns.join(', ')})`, { file: spec, column });
    ch.rows.forEach((r, i) => {
      const where = { file: spec, line: ch.lines?.[i], row: ch.lines ? undefined : q.length + 1, column };
      // strict: an empty or NULL q is an error, never Number('') = 0
      if (isMissing(r[column])) throw new DataError('q is missing (every pair needs its keep probability)', where);
      const v = numberOf(r[column], where);
      if (v < 0 || (sampling === 'keep' && v > 1))
        throw new DataError(
          `q = ${v} is out of range (${sampling === 'keep' ? 'keep probabilities lie in [0, 1]' : 'weights are ≥ 0'})`,
          where,
        );
      q.push(v);
    });
  }
  if (q.length !== n) throw new DataError(`${q.length} rows, but there are ${n} image/text pairs`, { file: spec });
  return Float32Array.from(q);
}

async function pairs(images: string, texts: string, m4: string | undefined, o: TrainCliOptions): Promise<PairedData> {
  const a = await readEmbeddings(images);
  const b = await readEmbeddings(texts);
  if (a.n !== b.n)
    throw new DataError(`${a.n} image rows but ${b.n} text rows in ${texts}; row i of each must be a pair`, {
      file: texts,
    });
  const d: PairedData = {
    image: Float32Array.from(a.data),
    imageDim: a.d,
    text: Float32Array.from(b.data),
    textDim: b.d,
    n: a.n,
  };
  if (m4) {
    const q = await readQ(m4, o.qColumn, a.n, o.sampling);
    if (o.sampling === 'keep') d.keep = q;
    else d.weights = q;
  }
  return d;
}

export async function runTrain(o: TrainCliOptions): Promise<void> {
  if ((o.stage2Images === undefined) !== (o.stage2Texts === undefined))
    throw new TrainConfigError('train: --stage2-images and --stage2-texts go together');
  if ((o.evalImages === undefined) !== (o.evalTexts === undefined))
    throw new TrainConfigError('train: --eval-images and --eval-texts go together');
  if (o.evalEvery !== undefined && !o.evalImages)
    throw new TrainConfigError('train: --eval-every needs --eval-images and --eval-texts');
  if (o.stage2Images && !(o.switchAt > 0 && o.switchAt < 1))
    throw new TrainConfigError(`train: --switch-at ${o.switchAt} must be in (0, 1)`);
  const A = await pairs(o.images, o.texts, o.m4, o);
  const data: PairedData | TrainStage[] = o.stage2Images
    ? [
        { data: A, fraction: o.switchAt },
        { data: await pairs(o.stage2Images, o.stage2Texts!, o.stage2M4, o), fraction: 1 - o.switchAt },
      ]
    : A;
  const evalSet = o.evalImages
    ? { images: await readEmbeddings(o.evalImages), texts: await readEmbeddings(o.evalTexts!) }
    : null;
  // the training pairs have this check (pairs()); the held-out pairs need it too: R@K over unpaired rows is noise
  if (evalSet && evalSet.images.n !== evalSet.texts.n)
    throw new DataError(
      `${evalSet.images.n} --eval-images rows but ${evalSet.texts.n} --eval-texts rows; row i of each must be a pair`,
      { file: o.evalTexts },
    );
  const config: TrainConfig = {
    loss: o.loss,
    outDim: o.outDim,
    image: { hidden: o.imageHidden },
    text: { hidden: o.textHidden },
    batchSize: o.batchSize,
    steps: o.steps,
    lr: o.lr,
    weightDecay: o.weightDecay,
    warmupSteps: o.warmup,
    clipNorm: o.clipNorm,
    seed: o.seed,
    logEvery: o.logEvery,
  };
  // config and data are checked before a device is created (train() checks them again, also before GPU work)
  resolveStages(data, resolveTrainOptions(config));
  const k: Kernels = await init({ backend: o.backend });
  if (o.metrics) await atomicWrite(o.metrics, (tmp) => writeFile(tmp, ''));
  const showBar = !o.json && o.progress !== false && process.stderr.isTTY;
  const bar = showBar
    ? new cliProgress.SingleBar(
        {
          format: ' train |{bar}| {value}/{total} {info}',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(o.steps, 0, { info: '' });
  const evals: { step: number; retrieval: unknown }[] = [];
  const ctl = new AbortController();
  const onSigint = () => ctl.abort();
  process.once('SIGINT', onSigint);
  const t0 = performance.now();
  let lastLog: TrainLogRecord | null = null;
  try {
    const model = await train(k, data, config, {
      signal: ctl.signal,
      checkpointPath: o.checkpoint,
      checkpointEvery: o.checkpointEvery,
      resume: o.resume,
      evalEvery: evalSet ? (o.evalEvery ?? o.steps) : undefined,
      onEval: evalSet
        ? async (m, step) => {
            const ei = await m.embedImage(Float32Array.from(evalSet.images.data), evalSet.images.n);
            const et = await m.embedText(Float32Array.from(evalSet.texts.data), evalSet.texts.n);
            const r = await retrieval(
              k,
              { n: evalSet.images.n, d: o.outDim, data: ei },
              { n: evalSet.texts.n, d: o.outDim, data: et },
              Array.from({ length: evalSet.texts.n }, (_, i) => i),
            );
            evals.push({ step, retrieval: r });
            if (o.metrics) await appendFile(o.metrics, JSON.stringify({ step, eval: r }) + '\n');
          }
        : undefined,
      onLog: (r) => {
        lastLog = r;
        if (o.metrics) void appendFile(o.metrics, JSON.stringify(r) + '\n');
      },
      onStep: (step, loss) => bar?.update(step, { info: loss !== undefined ? `loss ${loss.toFixed(4)}` : '' }),
    });
    bar?.stop();
    if (o.out) await model.save(o.out);
    const summary = {
      steps: o.steps,
      backend: k.backend,
      timeMs: performance.now() - t0,
      finalLoss: model.history.at(-1)?.loss,
      history: model.history,
      last: lastLog,
      evals,
      out: o.out,
    };
    if (o.json) console.log(JSON.stringify(summary, null, 2));
    else {
      const h = model.history;
      console.log(
        `m4kit train — ${o.loss}, ${o.steps} steps × batch ${o.batchSize} on ${k.backend} (${(summary.timeMs / 1000).toFixed(1)} s)`,
      );
      if (h.length)
        console.log(
          `loss ${h[0].loss.toFixed(4)} (step ${h[0].step}) → ${h[h.length - 1].loss.toFixed(4)} (step ${h[h.length - 1].step})`,
        );
      for (const e of evals) console.log(`eval @${e.step}: ${JSON.stringify(e.retrieval)}`);
      if (o.out) console.log(`model: ${o.out} (+ config JSON beside it)`);
    }
    model.dispose();
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
    k.destroy();
  }
}
