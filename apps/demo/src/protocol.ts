// Messages between the page (main.ts) and the worker (worker.ts). Large arrays travel as transferables.
import type { BalanceReport, ColumnKind, PiSpec } from '@m4kit/sdk';

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  distinct: number;
  missing: number;
}

export interface BalanceRequest {
  attributes: string[];
  labels: string[];
  missing: 'error' | 'drop' | 'category';
  /** several attribute columns: crossed, each on its own, or indicators (resolved by resolveBalanceOptions) */
  combine: 'auto' | 'intersection' | 'marginal' | 'indicators';
  eta: number | 'auto';
  pi?: PiSpec;
  epsRep: number;
  epsAssoc: number;
  /** soft-constraint penalty (undefined = hard constraints) */
  softPenalty?: number;
  seed: number;
  path: 'auto' | 'patterns' | 'rows';
  backend: 'auto' | 'webgpu' | 'cpu';
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
  | { id: number; type: 'probe' }
  | { id: number; type: 'load'; name: string; bytes: ArrayBuffer }
  | { id: number; type: 'balance'; req: BalanceRequest }
  | { id: number; type: 'download'; format: 'csv' | 'parquet' }
  | { id: number; type: 'columns'; name: string; bytes: ArrayBuffer }
  | { id: number; type: 'eval'; req: EvalRequest };

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

export type FromWorker =
  | { id: number; type: 'ok'; result: unknown }
  | { id: number; type: 'error'; message: string; code?: string }
  | { id: number; type: 'progress'; stage: string; iter: number; maxIter: number; violation: number; keepRate: number };
