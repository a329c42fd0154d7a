// Worker for the explorer's synthetic example: balance (q) and BA training run off the page's thread, with
// progress messages, over the demo's one worker protocol (rpc.ts). Cancel = the page terminates this worker.
import { serve } from '../rpc';
import { syntheticExample } from './example';

export type ToTrainWorker = { type: 'example'; seed?: number };
/** a line for the page's status */
export interface TrainProgress {
  text: string;
}

serve<ToTrainWorker, TrainProgress>({
  example: (m, ctx) => syntheticExample({ seed: m.seed, onStatus: (text) => ctx.progress({ text }) }),
});
