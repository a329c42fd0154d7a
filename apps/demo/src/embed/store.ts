// The Embed tab's state in one place (create-store.ts): the shipped tiny model once fetched, the table and the
// columns guessed for it, whether a run is under way, its progress and status line, the last result (metrics,
// downloads, the explorer) and the error. Actions (actions.ts) set it; views (views.ts, results.ts) render from it.
// Embedding runs in the worker behind `client` (the demo's WorkerClient).
import { WorkerClient } from '../client';
import { createStore } from '../create-store';
import type { EmbedProgress, EmbedRequest, EmbedResult } from './protocol';

export interface EmbedTable {
  name: string;
  columns: string[];
  rows: Record<string, unknown>[];
  /** the columns guessed for the file names, captions and attribute ('' = none) */
  guess: { file: string; caption: string; attribute: string };
}

export interface EmbedDone {
  result: EmbedResult;
  /** image file names, in row order */
  names: string[];
  rows: Record<string, string>[];
  attr: string | null;
}

export interface EmbedState {
  tinyModel: Record<string, Blob> | null;
  table: EmbedTable | null;
  running: boolean;
  progress: EmbedProgress | null;
  status: string;
  last: EmbedDone | null;
  error: unknown;
}

export const store = createStore<EmbedState>({
  tinyModel: null,
  table: null,
  running: false,
  progress: null,
  status: '',
  last: null,
  error: null,
});

export const client = new WorkerClient<EmbedRequest, EmbedProgress>(
  () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'm4kit-embed' }),
);
