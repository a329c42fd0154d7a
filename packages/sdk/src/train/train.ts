// train(): dual-encoder projection heads on frozen features (see types.ts for the contract).
import { ArgumentError, M4kitError, type Kernels } from '@m4kit/kernels';
import { configPathFor, readSafetensors, writeSafetensors, type NamedTensor } from './checkpoint.js';
import {
  initParams,
  layoutOf,
  lrAt,
  resolveConfig,
  resolveStages,
  Sampler,
  TrainConfigError,
  type Layout,
  type ResolvedConfig,
  type ResolvedStage,
  type SamplerState,
} from './core.js';
import type { Engine, EngineInit } from './engine.js';
import { GpuEngine } from './engine-gpu.js';
import { RefEngine } from './engine-ref.js';
import { trainFileIO } from './io.js';
import type { PairedData, TrainConfig, TrainedModel, TrainHooks, TrainStage } from './types.js';

/** Training stopped through `hooks.signal` (a checkpoint was written first when `checkpointPath` is set). */
export class TrainAbortedError extends M4kitError {
  constructor(readonly step: number) {
    super('E_ABORTED', `train: aborted after step ${step}`);
  }
}

const CHECKPOINT_FORMAT = 'm4kit-train-checkpoint';
const MODEL_FORMAT = 'm4kit-train-model';

/**
 * The engine for a backend: WebGPU, or the float64 reference on the CPU backend.
 * @param k - the `Kernels`.
 * @param init - config, layout and parameters.
 * @param stages - the resolved stages.
 * @returns the engine.
 */
export function createEngine(k: Kernels, init: EngineInit, stages: ResolvedStage[]): Engine {
  if (k.backend === 'cpu') return new RefEngine(init, stages);
  return new GpuEngine(k, init, stages);
}

interface CheckpointMeta {
  format: string;
  version: 1;
  config: TrainConfig;
  imageDim: number;
  textDim: number;
  step: number;
  samplers: SamplerState[];
  history: { step: number; loss: number }[];
}

async function checkpointBytes(engine: Engine, layout: Layout, meta: CheckpointMeta): Promise<Uint8Array> {
  const s = await engine.getState();
  const tensors: NamedTensor[] = [];
  layout.params.forEach((p, k) => {
    tensors.push({ name: p.name, shape: p.shape, dtype: engine.dtype, data: s.params[k] });
    tensors.push({ name: `adamw.m.${p.name}`, shape: p.shape, dtype: engine.dtype, data: s.m[k] });
    tensors.push({ name: `adamw.v.${p.name}`, shape: p.shape, dtype: engine.dtype, data: s.v[k] });
  });
  return writeSafetensors(tensors, { m4kit: JSON.stringify(meta) });
}

function parseMeta(bytes: Uint8Array, what: string): { meta: CheckpointMeta; tensors: Map<string, NamedTensor> } {
  const { tensors, metadata } = readSafetensors(bytes, what);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(metadata.m4kit ?? '');
  } catch {
    throw new ArgumentError(`${what}: no m4kit training metadata in the safetensors header`);
  }
  if (meta.format !== CHECKPOINT_FORMAT && meta.format !== MODEL_FORMAT)
    throw new ArgumentError(`${what}: unknown format "${meta.format}"`);
  return { meta, tensors };
}

function stateOf(layout: Layout, tensors: Map<string, NamedTensor>, what: string, prefix = ''): ArrayLike<number>[] {
  return layout.params.map((p) => {
    const t = tensors.get(prefix + p.name);
    if (!t) throw new ArgumentError(`${what}: missing tensor "${prefix + p.name}"`);
    if (t.shape.join() !== p.shape.join())
      throw new ArgumentError(
        `${what}: tensor "${prefix + p.name}" has shape [${t.shape}], the config needs [${p.shape}]`,
      );
    return t.data;
  });
}

function makeModel(
  config: TrainConfig,
  cfg: ResolvedConfig,
  layout: Layout,
  engine: Engine,
  dims: { imageDim: number; textDim: number },
  history: { step: number; loss: number }[],
  step: () => number,
): TrainedModel & { dispose(): void } {
  const check = (x: Float32Array, n: number, dim: number, what: string) => {
    if (!(Number.isInteger(n) && n >= 0)) throw new ArgumentError(`${what}: n = ${n} must be an integer ≥ 0`);
    if (x.length !== n * dim) throw new ArgumentError(`${what}: ${x.length} values, expected n × ${dim} = ${n * dim}`);
  };
  return {
    config,
    history,
    embedImage: async (x, n) => {
      check(x, n, dims.imageDim, 'embedImage');
      return engine.embed('image', x, n);
    },
    embedText: async (x, n) => {
      check(x, n, dims.textDim, 'embedText');
      return engine.embed('text', x, n);
    },
    save: async (path: string) => {
      const io = trainFileIO('save');
      const s = await engine.getState();
      const meta = { format: MODEL_FORMAT, version: 1, config, ...dims, step: step(), samplers: [], history: [] };
      const bytes = writeSafetensors(
        layout.params.map((p, k) => ({ name: p.name, shape: p.shape, dtype: engine.dtype, data: s.params[k] })),
        { m4kit: JSON.stringify(meta) },
      );
      await io.writeFile(path, bytes);
      const sidecar = {
        format: MODEL_FORMAT,
        config,
        resolved: cfg,
        ...dims,
        step: step(),
        params: layout.params.map((p) => ({ name: p.name, shape: p.shape })),
        history,
      };
      await io.writeFile(configPathFor(path), JSON.stringify(sidecar, null, 2) + '\n');
    },
    dispose: () => engine.dispose(),
  };
}

/**
 * A model from the bytes of a saved model or a checkpoint (no training state needed).
 * @param k - the `Kernels` to run the model on.
 * @param bytes - the .safetensors bytes.
 * @param file - the name in error messages.
 * @returns the model (call `dispose()` when done).
 * @throws ArgumentError for a malformed file.
 */
export async function loadTrainedModel(
  k: Kernels,
  bytes: Uint8Array,
  file = 'loadTrainedModel',
): Promise<TrainedModel & { dispose(): void }> {
  const { meta, tensors } = parseMeta(bytes, file);
  const cfg = resolveConfig(meta.config);
  const layout = layoutOf(cfg, meta.imageDim, meta.textDim);
  const engine = createEngine(k, { cfg, layout, params: stateOf(layout, tensors, 'loadTrainedModel') }, []);
  return makeModel(
    meta.config,
    cfg,
    layout,
    engine,
    { imageDim: meta.imageDim, textDim: meta.textDim },
    meta.history ?? [],
    () => meta.step,
  );
}

/**
 * Train CLIP-style projection heads (and optional towers) on paired embeddings with the CLIP or SigLIP loss, on the
 * `Kernels` surface (WebGPU, or the float64 CPU backend); one stage or several (e.g. a balanced subset first).
 *
 * @param k - the kernels to train on
 * @param data - paired image / text embeddings (with per-example weights), or the stages
 * @param config - the model and optimisation settings (checked by `resolveConfig` before any GPU work)
 * @param hooks - progress, checkpoint and abort callbacks
 * @returns the trained model (call `dispose()` when done)
 * @throws TrainConfigError for bad settings or data
 */
export async function train(
  k: Kernels,
  data: PairedData | TrainStage[],
  config: TrainConfig,
  hooks: TrainHooks = {},
): Promise<TrainedModel & { dispose(): void }> {
  // ---- everything is validated on the host before any GPU work
  const cfg = resolveConfig(config);
  const stages = resolveStages(data, cfg);
  const { imageDim, textDim } = stages[0].data;
  const e = (m: string) => new TrainConfigError(`train: ${m}`);
  if (hooks.checkpointEvery !== undefined && !(Number.isInteger(hooks.checkpointEvery) && hooks.checkpointEvery >= 1))
    throw e(`checkpointEvery = ${hooks.checkpointEvery} must be an integer ≥ 1`);
  if (hooks.checkpointEvery !== undefined && !hooks.checkpointPath) throw e('checkpointEvery needs checkpointPath');
  if (hooks.evalEvery !== undefined && !(Number.isInteger(hooks.evalEvery) && hooks.evalEvery >= 1))
    throw e(`evalEvery = ${hooks.evalEvery} must be an integer ≥ 1`);
  if (hooks.evalEvery !== undefined && !hooks.onEval) throw e('evalEvery needs onEval');
  const io = hooks.checkpointPath || typeof hooks.resume === 'string' ? trainFileIO('train') : null;
  const layout = layoutOf(cfg, imageDim, textDim);
  let params: ArrayLike<number>[] = initParams(layout, cfg);
  let resumed: { meta: CheckpointMeta; m: ArrayLike<number>[]; v: ArrayLike<number>[] } | null = null;
  if (hooks.resume !== undefined) {
    const what = typeof hooks.resume === 'string' ? hooks.resume : 'resume';
    const path = hooks.resume;
    const bytes =
      typeof path === 'string'
        ? await io!.readFile(path).catch((err: NodeJS.ErrnoException) => {
            throw new ArgumentError(
              `${path}: cannot read the --resume checkpoint (${err.code === 'ENOENT' ? 'file not found' : err.message})`,
            );
          })
        : path;
    const { meta, tensors } = parseMeta(bytes, what);
    if (meta.format !== CHECKPOINT_FORMAT)
      throw new ArgumentError(`${what}: a saved model holds no optimizer state; resume needs a training checkpoint`);
    const was = resolveConfig(meta.config);
    const diff = (Object.keys(cfg) as (keyof ResolvedConfig)[]).filter(
      (key) => JSON.stringify(cfg[key]) !== JSON.stringify(was[key]),
    );
    if (diff.length)
      throw new ArgumentError(
        `${what}: the checkpoint was written with a different config (${diff.join(', ')}); resume needs the same one`,
      );
    if (meta.imageDim !== imageDim || meta.textDim !== textDim)
      throw new ArgumentError(`${what}: checkpoint dims ${meta.imageDim}/${meta.textDim}, data ${imageDim}/${textDim}`);
    if (meta.samplers.length !== stages.length)
      throw new ArgumentError(`${what}: the checkpoint has ${meta.samplers.length} stages, this run ${stages.length}`);
    params = stateOf(layout, tensors, what);
    resumed = { meta, m: stateOf(layout, tensors, what, 'adamw.m.'), v: stateOf(layout, tensors, what, 'adamw.v.') };
  }

  const engine = createEngine(k, { cfg, layout, params }, stages);
  try {
    const history: { step: number; loss: number }[] = resumed ? [...resumed.meta.history] : [];
    const samplers = stages.map(
      (_, s) => new Sampler(stages[s].data, cfg.seed, s, resumed ? { ...resumed.meta.samplers[s] } : undefined),
    );
    let done = resumed ? resumed.meta.step : 0;
    if (resumed) engine.setState({ params, m: resumed.m, v: resumed.v });
    const model = makeModel(config, cfg, layout, engine, { imageDim, textDim }, history, () => done);
    const checkpoint = async () => {
      const meta: CheckpointMeta = {
        format: CHECKPOINT_FORMAT,
        version: 1,
        config,
        imageDim,
        textDim,
        step: done,
        samplers: samplers.map((s) => ({ ...s.state })),
        history,
      };
      await io!.writeFile(hooks.checkpointPath!, await checkpointBytes(engine, layout, meta));
      await io!.writeFile(
        configPathFor(hooks.checkpointPath!),
        JSON.stringify({ format: CHECKPOINT_FORMAT, config, resolved: cfg, imageDim, textDim, step: done }, null, 2) +
          '\n',
      );
    };
    const t0 = globalThis.performance?.now() ?? Date.now();
    for (let i = done; i < cfg.steps; i++) {
      if (hooks.signal?.aborted) {
        if (hooks.checkpointPath) await checkpoint();
        throw new TrainAbortedError(done);
      }
      const stage = stages.findIndex((s) => i >= s.start && i < s.end);
      const idx = samplers[stage].next(cfg.batchSize);
      const log = (i + 1) % cfg.logEvery === 0 || i === cfg.steps - 1;
      const lr = lrAt(cfg, i);
      const r = await engine.step(i, lr, stage, idx, log);
      done = i + 1;
      if (r) {
        history.push({ step: done, loss: r.loss });
        hooks.onLog?.({
          step: done,
          stage,
          loss: r.loss,
          lr,
          gradNorm: r.gradNorm,
          scale: r.scale,
          elapsedMs: (globalThis.performance?.now() ?? Date.now()) - t0,
        });
      }
      hooks.onStep?.(done, r?.loss);
      if (hooks.checkpointEvery && done % hooks.checkpointEvery === 0 && done < cfg.steps) await checkpoint();
      if (hooks.evalEvery && done % hooks.evalEvery === 0) await hooks.onEval!(model, done);
    }
    if (hooks.checkpointPath) await checkpoint();
    if (hooks.evalEvery && done % hooks.evalEvery !== 0) await hooks.onEval!(model, done);
    return model;
  } catch (err) {
    engine.dispose();
    throw err;
  }
}
