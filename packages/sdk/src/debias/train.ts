// debias(): trains the BA module (spec §2.5) on frozen embeddings and returns a module that maps frozen
// embeddings to debiased ones. Queues, EMA copies, α, τ, the per-step factual/counterfactual coin, the momentum
// distillation mix from epoch 5, evaluation every 2 epochs and early stopping on validation ABLE. Options:
// options.ts; inputs and their checks: data.ts; the module and its bytes: module.ts; validation: validation.ts.
import { ArgumentError, init } from '@m4kit/kernels';
import {
  cloneParams,
  cpuMatmul,
  emaUpdate,
  gaussian,
  initBaParams,
  mulberry32,
  paramList,
  type BaParams,
} from './ba.js';
import { CpuBank, randomUnitRows, type Bank } from './bank.js';
import { checkDebiasInputs, counterfactualPick, toF64, type DebiasData } from './data.js';
import { DebiasModule, gpuMatmul, type DebiasConfig } from './module.js';
import { resolveDebiasOptions, type DebiasOptions } from './options.js';
import { Adam, lossAndGrads } from './step.js';
import { evaluateAble, type DebiasEval } from './validation.js';

/**
 * Train the BA module (spec §2.5). Inputs are frozen, unnormalised embeddings; row i of captions and
 * counterfactuals describe image i (factual / attribute-swapped caption). Returns the module with the best
 * validation ABLE (or the last one without validation).
 * @param data - training embeddings, captions, counterfactuals and optional validation sets.
 * @param opts - widths, learning rate, epochs, banks, backend and callbacks (`DebiasOptions`).
 * @returns the module (best validation epoch, or the last), the loss history and the evaluations.
 * @throws ArgumentError / ShapeError / OptionError for bad inputs (before any GPU work); ArgumentError when the
 *   loss becomes non-finite.
 *
 * @example
 * ```js
 * import { debias } from '@m4kit/sdk';
 * // 32 images with a caption and a counterfactual caption each (8-d here; your CLIP embeddings in practice)
 * let s = 1;
 * const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
 * const emb = (n, d) => ({ n, d, data: Float32Array.from({ length: n * d }, rand) });
 * const data = { images: emb(32, 8), captions: emb(32, 8), counterfactuals: emb(32, 8) };
 * const opts = { hidden1: 16, hidden2: 16, batchSize: 8, epochs: 2, queueSize: 32, lr: 1e-3, backend: 'cpu' };
 * const { module, history } = await debias(data, opts);
 * const debiased = await module.apply(data.images, { normalize: true });
 * console.log(`${history.length} epochs logged; ${debiased.n} × ${debiased.d} debiased image embeddings`);
 * ```
 */
export async function debias(
  data: DebiasData,
  opts: DebiasOptions = {},
): Promise<{ module: DebiasModule; history: DebiasConfig['history']; evals: DebiasEval[] }> {
  checkDebiasInputs(data, opts);
  const o = resolveDebiasOptions(opts);
  const D = data.images.d;
  const N = data.images.n;
  const ownKernels = !opts.kernels;
  const kernels = opts.kernels ?? (await init({ backend: opts.backend ?? 'auto' }));
  try {
    const onGpu = kernels.backend === 'webgpu';
    const mm = onGpu ? gpuMatmul(kernels) : cpuMatmul;
    const rnd = mulberry32(o.seed);
    const normal = gaussian(mulberry32(o.seed ^ 0x9e3779b9));
    const params = initBaParams(D, o.hidden1, o.hidden2, o.seed);
    const mom = cloneParams(params);
    const bank: Bank = onGpu
      ? await (
          await import('./bank-gpu.js')
        ).createGpuBank(
          kernels,
          D,
          o.queueSize,
          randomUnitRows(o.queueSize, D, normal),
          randomUnitRows(o.queueSize, D, normal),
        )
      : new CpuBank(D, o.queueSize, randomUnitRows(o.queueSize, D, normal), randomUnitRows(o.queueSize, D, normal));
    const adam = new Adam(paramList(params), o.lr);
    const eI = toF64(data.images);
    const eT1 = toF64(data.captions);
    const cfSets = [data.counterfactuals, ...(data.counterfactualAlternatives ?? [])].map(toF64);
    const steps = Math.ceil(N / o.batchSize);
    const history: DebiasConfig['history'] = [];
    const evals: DebiasEval[] = [];
    let best: { params: BaParams; able: number; epoch: number } | undefined;
    let sinceBest = 0;
    let epochsRun = 0;
    const order = Array.from({ length: N }, (_, i) => i);
    try {
      for (let epoch = 0; epoch < o.epochs; epoch++) {
        if (o.shuffle) {
          for (let i = N - 1; i > 0; i--) {
            const j = Math.floor(rnd() * (i + 1));
            [order[i], order[j]] = [order[j], order[i]];
          }
        }
        const mix = epoch >= o.mixFromEpoch ? o.mixRatio : 0;
        const pick = counterfactualPick(o.seed, epoch, N, cfSets.length);
        let sum = { total: 0, ba: 0, cd: 0 };
        for (let s = 0; s < steps; s++) {
          const r0 = s * o.batchSize;
          const B = Math.min(o.batchSize, N - r0);
          const take = (src: Float64Array | Float64Array[]) => {
            const x = new Float64Array(B * D);
            for (let i = 0; i < B; i++) {
              const row = order[r0 + i];
              const from = Array.isArray(src) ? src[pick[row]] : src;
              x.set(from.subarray(row * D, (row + 1) * D), i * D);
            }
            return x;
          };
          emaUpdate(mom, params, o.momentum); // at the start of every forward pass
          const counterfactual = rnd() >= 0.5; // ĝ_T* = ĝ_T1 with p = 0.5, else ĝ_T2
          const res = await lossAndGrads(mm, bank, params, {
            B,
            D,
            eI: take(eI),
            eT1: take(eT1),
            eT2: take(cfSets),
            counterfactual,
            tau: o.tau,
            alpha: o.alpha,
            mix,
            momentum: mom,
          });
          if (!Number.isFinite(res.total))
            throw new ArgumentError(`debias: the loss became non-finite at epoch ${epoch}, step ${s} (lower lr?)`);
          adam.step(paramList(params), paramList(res.grads));
          bank.enqueue(res.fI, res.fT, B);
          sum = { total: sum.total + res.total / steps, ba: sum.ba + res.ba / steps, cd: sum.cd + res.cd / steps };
          opts.onProgress?.({
            epoch,
            epochs: o.epochs,
            step: s + 1,
            stepsPerEpoch: steps,
            loss: { total: res.total, ba: res.ba, cd: res.cd },
          });
        }
        history.push({ epoch, loss: sum.total, ba: sum.ba, cd: sum.cd });
        epochsRun = epoch + 1;
        if (opts.validation && (epoch + 1) % o.evalEvery === 0) {
          const mod = new DebiasModule(params, {} as DebiasConfig);
          const ev = { epoch, ...(await evaluateAble(mod, opts.validation, kernels, onGpu ? kernels : undefined)) };
          evals.push(ev);
          opts.onProgress?.({ epoch, epochs: o.epochs, step: steps, stepsPerEpoch: steps, eval: ev });
          if (!best || ev.able > best.able) {
            best = { params: cloneParams(params), able: ev.able, epoch };
            sinceBest = 0;
          } else if (++sinceBest >= o.patience) break;
        }
      }
    } finally {
      bank.dispose();
    }
    const config: DebiasConfig = {
      format: 'm4kit-ba',
      version: 1,
      dim: D,
      hidden1: o.hidden1,
      hidden2: o.hidden2,
      alpha: o.alpha,
      tau: o.tau,
      queueSize: o.queueSize,
      momentum: o.momentum,
      mixRatio: o.mixRatio,
      mixFromEpoch: o.mixFromEpoch,
      lr: o.lr,
      batchSize: o.batchSize,
      seed: o.seed,
      epochsRun,
      bestEpoch: best ? best.epoch : null,
      history,
      evals,
    };
    return { module: new DebiasModule(best ? best.params : params, config), history, evals };
  } finally {
    if (ownKernels) kernels.destroy();
  }
}
