// What the explorer does, as changes to its store: set up WebGPU (or the CPU fallback), run a data source and
// show what it gives, switch before / after and captions, hover and pin points. Views render the result.
import { init, initFromDevice } from '@m4kit/kernels';
import { CancelledError } from '../client';
import { PointView } from './render';
import { buildScene, projectData, type Which } from './scene';
import { store, type ExplorerState } from './store';
import type { ExplorerData } from './types';

/** WebGPU kernels and the 3-D view on one device; without WebGPU the float64 CPU backend and the 2-D fallback. */
export async function setup(): Promise<void> {
  let device: GPUDevice | null = null;
  let gpuReason = '';
  try {
    if (!('gpu' in navigator) || !navigator.gpu) throw new Error('navigator.gpu is missing');
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter');
    device = await adapter.requestDevice();
  } catch (e) {
    gpuReason = (e as Error)?.message ?? String(e);
  }
  if (device) {
    const kernels = initFromDevice(device);
    const present = new URLSearchParams(location.search).get('present') === 'readback' ? 'readback' : 'canvas';
    const view = PointView.create(device, document.getElementById('ex-canvas') as HTMLCanvasElement, present);
    store.set({
      kernels,
      view,
      status:
        `WebGPU: ${kernels.adapter?.description || 'adapter ready'}. Projection (PCA) and drawing run on the GPU` +
        (present === 'readback' ? ' (frames read back to a 2-D canvas: ?present=readback).' : '.'),
    });
  } else {
    const kernels = await init({ backend: 'cpu' });
    store.set({ kernels, view: null, gpuReason, status: 'WebGPU unavailable: 2-D fallback.' });
  }
}

/** Projects `d` and shows it (the state shown stays 'after' when the new data has an "after"). */
async function show(d: ExplorerData): Promise<void> {
  const k = store.get().kernels!;
  store.set({ status: 'projecting to 3-D (PCA on the ' + (k.backend === 'webgpu' ? 'GPU' : 'CPU backend') + ')…' });
  const projected = await projectData(k, d);
  const { which: was, showTexts } = store.get();
  const which: Which = d.images.after && was === 'after' ? 'after' : 'before';
  store.set({ projected, which, scene: buildScene(projected, which, showTexts), detail: -1, pinned: -1 });
  const nQ = d.queries?.names.length ?? 0;
  store.set({
    status:
      `${d.n} images${d.texts ? ` and ${d.n} captions` : ''}${nQ ? `, ${nQ} queries` : ''}; axes = the top 3 ` +
      'principal components of the images before debiasing ' +
      `(variance ${projected.variance.map((v) => v.toPrecision(3)).join(', ')}).`,
  });
  (globalThis as unknown as { __explorerReady: boolean }).__explorerReady = true;
}

/**
 * Runs a data source and shows its data. `running` is what the buttons show while the source works (the
 * example's training can be cancelled); the projection that follows is 'loading'.
 */
export async function run(
  source: () => Promise<ExplorerData>,
  running: NonNullable<ExplorerState['running']>,
): Promise<void> {
  if (store.get().running) return;
  store.set({ running, error: null });
  try {
    const d = await source();
    store.set({ running: 'loading' });
    await show(d);
  } catch (e) {
    if (e instanceof CancelledError) store.set({ status: 'cancelled: the training worker was stopped' });
    else {
      const msg = (e as Error)?.message ?? String(e);
      store.set({ error: e, status: 'failed: ' + msg });
    }
  } finally {
    store.set({ running: null });
  }
}

/** Before / after debiasing, captions on / off: a new scene; the pinned point and the details are let go. */
export function setView(patch: { which?: Which; showTexts?: boolean }): void {
  const s = { ...store.get(), ...patch };
  store.set({
    ...patch,
    pinned: -1,
    detail: -1,
    scene: s.projected ? buildScene(s.projected, s.which, s.showTexts) : null,
  });
}

/** The pointer is over instance `i` (-1: none): shown unless a point is pinned. */
export function hover(i: number): void {
  if (store.get().pinned < 0) store.set({ detail: i });
}

/** A click on instance `i`: pins it, or unpins it when it was pinned; the details show it either way. */
export function pin(i: number): void {
  store.set({ pinned: store.get().pinned === i ? -1 : i, detail: i });
}
