// The Debias tab's state in one place (create-store.ts): the files of the run and where they came from, the
// column pickers' contents, whether data loads or a run trains, its progress and validation rows, the last
// result (downloads), the errors. Actions (actions.ts, data.ts) set it; views (views.ts, results.ts) render from
// it. Training runs in the worker behind `client` (the demo's WorkerClient).
import type { DebiasEval } from '@m4kit/sdk';
import { WorkerClient } from '../client';
import { createStore } from '../create-store';
import type { DebiasDone, DebiasFiles, DebiasProgress, ToDebiasWorker } from './protocol';

export interface DebiasState {
  /** WebGPU as the page found it (null: not asked yet) */
  gpu: { ok: boolean; text: string } | null;
  /** the loaded files, their name (downloads) and the line that describes them */
  files: DebiasFiles | null;
  dataName: string;
  dataSummary: string | null;
  /** the evaluation table's columns, the attributes chosen (the first drives validation) and the class column */
  columns: { names: string[]; attributes: string[]; classColumn: string } | null;
  /** the candidate pairs the example comes with (the biased-prompts baseline's field) */
  pairs: string | null;
  running: 'loading' | 'training' | null;
  progress: { value: number; text: string };
  /** validation rows of the run under way (or the last one) */
  evals: DebiasEval[];
  result: DebiasDone | null;
  error: unknown;
  dataError: unknown;
}

export const store = createStore<DebiasState>({
  gpu: null,
  files: null,
  dataName: '',
  dataSummary: null,
  columns: null,
  pairs: null,
  running: null,
  progress: { value: 0, text: '' },
  evals: [],
  result: null,
  error: null,
  dataError: null,
});

export const client = new WorkerClient<ToDebiasWorker, DebiasProgress>(
  () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'm4kit-debias' }),
);
