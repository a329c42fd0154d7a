// The page's state in one place: the loaded table, the last balance result, whether a run is under way, whether
// WebGPU answered. Panels read it with `store.get()`, change it with `store.set()`, and react in `subscribe`.
import type { BalanceDone, LoadResult } from './protocol';
import { WorkerClient } from './client';

export interface DemoState {
  /** the table the worker holds (re-sent to a fresh worker after a cancel) */
  table: { name: string; bytes: ArrayBuffer; info: LoadResult } | null;
  /** the last finished balance run (downloads) */
  last: { name: string; done: BalanceDone } | null;
  busy: boolean;
  gpuOk: boolean;
}

type Listener = (s: Readonly<DemoState>) => void;

function createStore(initial: DemoState) {
  let state: Readonly<DemoState> = Object.freeze({ ...initial });
  const listeners = new Set<Listener>();
  return {
    get: (): Readonly<DemoState> => state,
    set(patch: Partial<DemoState>): void {
      state = Object.freeze({ ...state, ...patch });
      for (const l of listeners) l(state);
    },
    subscribe(l: Listener): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

export const store = createStore({ table: null, last: null, busy: false, gpuOk: false });

/** The one worker (parsing, balancing, evaluation run off the page's thread). */
export const client = new WorkerClient();
