// The explorer's state in one place (create-store.ts): the kernels and the 3-D view set up once, the projected
// data, what is drawn (before / after, captions on or off) and the scene built from it, the point shown in the
// details box, whether a run is under way, the status line and the error. Actions (actions.ts) set it; views
// (views.ts, scene-view.ts) render from it. The synthetic example trains in a worker behind `client`.
import type { Kernels } from '@m4kit/kernels';
import { WorkerClient } from '../client';
import { createStore } from '../create-store';
import type { PointView } from './render';
import type { Projected, Scene, Which } from './scene';
import type { TrainProgress, ToTrainWorker } from './train-worker';

export interface ExplorerState {
  /** set once by setup: WebGPU kernels + the 3-D view, or the CPU backend and no view (2-D fallback) */
  kernels: Kernels | null;
  view: PointView | null;
  /** why there is no WebGPU (shown with the 2-D fallback) */
  gpuReason: string;
  /** the data on show, projected to 3-D */
  projected: Projected | null;
  which: Which;
  showTexts: boolean;
  /** what is drawn now: built from projected + which + showTexts */
  scene: Scene | null;
  /** the point in the details box (-1: none) and the pinned one (-1: none) */
  detail: number;
  pinned: number;
  /** a run under way: the example (training, cancellable), your files, the Embed tab's handoff; then projecting */
  running: 'example' | 'files' | 'handoff' | 'loading' | null;
  /** columns of the chosen metadata table (the group and q pickers) */
  metaColumns: string[] | null;
  status: string;
  error: unknown;
}

export const store = createStore<ExplorerState>({
  kernels: null,
  view: null,
  gpuReason: '',
  projected: null,
  which: 'before',
  showTexts: true,
  scene: null,
  detail: -1,
  pinned: -1,
  running: null,
  metaColumns: null,
  status: 'Checking for WebGPU…',
  error: null,
});

/** The synthetic example's worker (balance + BA training off the page's thread). */
export const client = new WorkerClient<ToTrainWorker, TrainProgress>(
  () => new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'm4kit-explorer' }),
);
