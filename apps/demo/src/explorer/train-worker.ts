// Worker for the explorer's synthetic example: balance (q) and BA training run off the page's thread, with
// progress messages. Cancel = the page terminates this worker.
import { syntheticExample } from './example';
import type { ExplorerData } from './types';

export type FromTrainWorker =
  | { type: 'progress'; text: string }
  | { type: 'done'; data: ExplorerData }
  | { type: 'error'; message: string };

const post = (m: FromTrainWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

self.onmessage = async (e: MessageEvent<{ type: 'example'; seed?: number }>) => {
  try {
    const data = await syntheticExample({ seed: e.data.seed, onStatus: (text) => post({ type: 'progress', text }) });
    post({ type: 'done', data });
  } catch (err) {
    post({ type: 'error', message: (err as Error)?.message ?? String(err) });
  }
};
