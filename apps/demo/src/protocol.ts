// Requests from the page (panels/) to the worker (worker.ts), their results and progress; the envelope (ids, ok /
// error / progress replies) is the demo's one worker protocol, rpc.ts. Large arrays travel as transferables.
import type { BalanceReport, ColumnKind, ResolvedBalanceOptions } from '@m4kit/sdk';

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  distinct: number;
  missing: number;
}

export interface BalanceRequest {
  attributes: string[];
  labels: string[];
  /**
   * the declared options with a demo field (BALANCE_OPTION_DECLS), resolved on the page by resolveBalanceOptions:
   * passed to the encoder (missing, combine) and to balanceEncoded as they are
   */
  options: Pick<
    ResolvedBalanceOptions,
    'eta' | 'pi' | 'epsRep' | 'epsAssoc' | 'softPenalty' | 'seed' | 'missing' | 'combine' | 'backend' | 'path'
  > &
    Record<string, unknown>;
}

export interface EvalRequest {
  images: { name: string; bytes: ArrayBuffer };
  queries: { name: string; bytes: ArrayBuffer };
  labels: { name: string; bytes: ArrayBuffer };
  attribute: string;
  queryNames?: { name: string; bytes: ArrayBuffer };
  k: number;
  backend: 'auto' | 'webgpu' | 'cpu';
}

export type ToWorker =
  | { type: 'probe' }
  | { type: 'load'; name: string; bytes: ArrayBuffer }
  | { type: 'balance'; req: BalanceRequest }
  | { type: 'download'; format: 'csv' | 'parquet' }
  | { type: 'columns'; name: string; bytes: ArrayBuffer }
  | { type: 'eval'; req: EvalRequest };

export interface ProbeResult {
  webgpu: boolean;
  adapter?: string;
  isSoftware?: boolean;
  reason?: string;
}

export interface LoadResult {
  name: string;
  rows: number;
  columns: ColumnInfo[];
  preview: Record<string, string>[];
}

export interface BalanceDone {
  report: BalanceReport;
  /** keep probability per input row */
  q: Float64Array;
  keep: Uint8Array;
  /** per input row: dropped for missing values */
  dropped: Uint8Array;
}

export interface EvalDone {
  k: number;
  groups: string[];
  maxSkew: number;
  ndkl: number;
  perQuery: { query: string; maxSkew: number; ndkl: number; shares: number[] }[];
  datasetShares: number[];
  backend: string;
}

/** progress of a balance run (the SDK's onProgress, posted at most every 50 ms) */
export interface BalanceProgress {
  stage: string;
  iter: number;
  maxIter: number;
  violation: number;
  keepRate: number;
}
