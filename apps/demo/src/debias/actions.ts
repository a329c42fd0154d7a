// What the Debias tab does, as changes to its store: ask for WebGPU, load data, train (in the worker, with
// progress, validation rows and cancel), keep the result for the downloads.
import { CancelledError } from '../client';
import { loadExample, loadOwn } from './data';
import { request } from './form';
import type { DebiasDone, DebiasProgress, DebiasRequest } from './protocol';
import { client, store } from './store';

export async function probe(): Promise<void> {
  try {
    if (!('gpu' in navigator) || !navigator.gpu) throw new Error('navigator.gpu is missing');
    const a = await navigator.gpu.requestAdapter();
    if (!a) throw new Error('no WebGPU adapter');
    const name = a.info?.description || a.info?.vendor || 'adapter ready';
    store.set({ gpu: { ok: true, text: `WebGPU: ${name}. Training runs on it, in a worker.` } });
  } catch (e) {
    store.set({
      gpu: {
        ok: false,
        text:
          `No WebGPU in this browser (${(e as Error).message}): training runs on the float64 CPU backend instead ` +
          '(same algorithm, slower on large sets).',
      },
    });
  }
}

/** Loads the bundled example or your files; a failure is shown in the data section. */
export async function load(which: 'example' | 'own'): Promise<void> {
  if (store.get().running) return;
  store.set({ running: 'loading', dataError: null });
  try {
    await (which === 'example' ? loadExample() : loadOwn());
  } catch (e) {
    store.set({ dataError: e });
  } finally {
    store.set({ running: null });
  }
}

function onProgress(p: DebiasProgress): void {
  if (p.stage === 'status') store.set({ progress: { ...store.get().progress, text: p.text } });
  else if (p.stage === 'step')
    store.set({
      progress: {
        value: (p.epoch * p.steps + p.step) / (p.epochs * p.steps),
        text: `epoch ${p.epoch + 1}/${p.epochs}, step ${p.step}/${p.steps}, loss ${p.loss.toFixed(4)}`,
      },
    });
  else store.set({ evals: [...store.get().evals, p.ev] });
}

/** Trains and evaluates with the form's settings; the result replaces the last one. */
export async function train(): Promise<void> {
  if (store.get().running) return;
  store.set({ error: null });
  let req: DebiasRequest;
  try {
    req = request();
  } catch (e) {
    store.set({ error: e });
    return;
  }
  store.set({ running: 'training', result: null, evals: [], progress: { value: 0, text: 'starting the worker…' } });
  try {
    // copies: the page keeps its files for the next run
    const result = await client.call<DebiasDone>({ type: 'run', req }, { onProgress });
    const t = result.training;
    store.set({
      running: null,
      progress: {
        value: 1,
        text:
          `done: ${t.epochsRun} of ${t.epochs} epochs in ${(t.ms / 1000).toFixed(1)} s` +
          (t.stoppedEarly ? ` (stopped early: no better validation ABLE; best epoch ${(t.bestEpoch ?? 0) + 1})` : '') +
          '.',
      },
      result,
    });
  } catch (e) {
    const { value } = store.get().progress;
    if (e instanceof CancelledError)
      store.set({ running: null, progress: { value, text: 'cancelled: nothing was trained or changed.' } });
    else store.set({ running: null, progress: { value, text: 'failed.' }, error: e });
  }
}

export function cancel(): void {
  if (store.get().running === 'training') client.cancel();
}
