// The page's state in one place: the loaded table, the last balance result, whether a run is under way, whether
// WebGPU answered. Panels read it with `store.get()`, change it with `store.set()`, and react in `subscribe`.
import { WorkerClient } from './client';
import { createStore } from './create-store';
import type { BalanceDone, BalanceProgress, LoadResult, ToWorker } from './protocol';

export interface DemoState {
  /** the table the worker holds (re-sent to a fresh worker after a cancel) */
  table: { name: string; bytes: ArrayBuffer; info: LoadResult } | null;
  /** the last finished balance run (downloads) */
  last: { name: string; done: BalanceDone } | null;
  busy: boolean;
  gpuOk: boolean;
}

export const store = createStore<DemoState>({ table: null, last: null, busy: false, gpuOk: false });

/** The one worker (parsing, balancing, evaluation run off the page's thread). */
export const client = new WorkerClient<ToWorker, BalanceProgress>(
  () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'm4kit-demo' }),
);
