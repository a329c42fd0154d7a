// The result and option types of `evaluateFiles` (`m4kit eval`), apart from the Node pipeline so the HTML report
// (report/html.ts) reads them without importing the pipeline that calls it.
import type { Kernels } from '@m4kit/kernels';
import type { Desired } from '../evaluate/metrics.js';
import type { BiasRetrievalResult, RetrievalResult, ZeroShotResult } from '../evaluate/tasks.js';

/**
 * Which evaluation `evaluateFiles` runs.
 */
export type EvalTask = 'zeroshot' | 'retrieval' | 'bias' | 'all';

/**
 * Inputs of `evaluateFiles`: embedding files, metadata tables, tasks and options.
 */
export interface EvalOptions {
  images: string;
  texts?: string;
  /** per-image metadata (row i ↔ image i) */
  labels?: string;
  /** per-text metadata (row t ↔ text t): `class` (zero-shot prompt → class), `image` (caption → 0-based image), `query` */
  textMeta?: string;
  task?: EvalTask;
  /** per-image class column for zero-shot (default "label") */
  classColumn?: string;
  /** per-image attribute column for bias retrieval */
  attribute?: string;
  k?: number;
  desired?: Desired;
  normalizeImages?: boolean;
  backend?: 'auto' | 'webgpu' | 'cpu';
  kernels?: Kernels;
  reportHtml?: string;
  reportJson?: string;
}

/**
 * What `evaluateFiles` returns (and `m4kit eval` writes as JSON): inputs, backend and one block per task.
 */
export interface EvalReport {
  createdAt: string;
  backend: string;
  inputs: {
    images: string;
    texts?: string;
    labels?: string;
    textMeta?: string;
    imageCount: number;
    textCount?: number;
    dim: number;
    attribute?: string;
  };
  zeroshot?: Omit<ZeroShotResult, 'predicted'> & { classes: string[] };
  retrieval?: RetrievalResult;
  bias?: BiasRetrievalResult;
  able?: number;
  /** unit of zero-shot accuracy (top1, top5, per class) and retrieval recall R@K: a fraction in [0, 1] */
  unit: 'fraction';
  /** what was accepted but deserves a look (k clamped, all-zero embedding rows) */
  warnings: string[];
  timeMs: number;
}
