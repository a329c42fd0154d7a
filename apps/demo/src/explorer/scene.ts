// What the explorer draws, computed without the DOM: the data projected to 3-D (one PCA basis, fitted on the
// images before debiasing, for both states, so the views are comparable) and the scene of one state — the
// instance array the point view draws (render.ts's STRIDE floats a point) and what each instance is.
import type { Kernels } from '@m4kit/kernels';
import { PALETTE } from './fallback';
import { pcaBasis, project } from './project';
import { STRIDE } from './render';
import type { ExplorerData } from './types';

export type Which = 'before' | 'after';

export interface Projected {
  data: ExplorerData;
  /** n×3 per state; texts and queries likewise (null when absent) */
  images: Record<Which, Float32Array | null>;
  texts: Record<Which, Float32Array | null>;
  queries: Record<Which, Float32Array | null>;
  /** eigenvalue estimates of the 3 axes */
  variance: number[];
}

export interface Scene {
  /** the state drawn ('after' only when the data has it) */
  state: Which;
  /** n×3 image and query positions of that state */
  images: Float32Array;
  queries: Float32Array | null;
  /** the instances drawn, and what each one is */
  points: Float32Array;
  kinds: { kind: 'image' | 'caption' | 'query'; row: number }[];
}

/** Projects every matrix of `d` onto the top 3 principal axes of its images before debiasing. */
export async function projectData(k: Kernels, d: ExplorerData): Promise<Projected> {
  const basis = await pcaBasis(k, d.images.before, d.n, d.D);
  const scale = 1 / Math.sqrt(Math.max(basis.variance[0], 1e-12));
  const proj = async (x: Float32Array | undefined, rows: number) => {
    if (!x) return null;
    const p = await project(k, basis, x, rows);
    for (let i = 0; i < p.length; i++) p[i] *= scale;
    return p;
  };
  const nQ = d.queries?.names.length ?? 0;
  return {
    data: d,
    images: { before: await proj(d.images.before, d.n), after: await proj(d.images.after, d.n) },
    texts: { before: await proj(d.texts?.before, d.n), after: await proj(d.texts?.after, d.n) },
    queries: { before: await proj(d.queries?.before, nQ), after: await proj(d.queries?.after, nQ) },
    variance: basis.variance,
  };
}

function color(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

/** The scene of state `which`: captions (rings) under the images (discs sized by q), queries (black rings) on top. */
export function buildScene(c: Projected, which: Which, showTexts: boolean): Scene {
  const d = c.data;
  const state = which === 'after' && c.images.after ? 'after' : 'before';
  const img = c.images[state]!;
  const txt = c.texts[state] ?? (state === 'before' ? null : c.texts.before);
  const qry = c.queries[state] ?? c.queries.before;
  const kinds: Scene['kinds'] = [];
  const nT = txt && showTexts ? d.n : 0;
  const nQ = qry && d.queries ? d.queries.names.length : 0;
  const out = new Float32Array((d.n + nT + nQ) * STRIDE);
  let o = 0;
  const put = (p: Float32Array, i: number, size: number, rgb: [number, number, number], a: number, shape: number) => {
    out.set([p[i * 3], p[i * 3 + 1], p[i * 3 + 2], size, rgb[0], rgb[1], rgb[2], a, shape], o);
    o += STRIDE;
  };
  if (nT)
    for (let i = 0; i < d.n; i++) {
      put(txt!, i, 3.5, color(PALETTE[d.group[i] % PALETTE.length]), 0.45, 1);
      kinds.push({ kind: 'caption', row: i });
    }
  for (let i = 0; i < d.n; i++) {
    const q = d.q ? Math.max(0, Math.min(1, d.q[i])) : 1;
    put(img, i, 2 + 4 * q, color(PALETTE[d.group[i] % PALETTE.length]), 0.2 + 0.75 * q, 0);
    kinds.push({ kind: 'image', row: i });
  }
  for (let i = 0; i < nQ; i++) {
    put(qry!, i, 9, [0, 0, 0], 1, 1);
    kinds.push({ kind: 'query', row: i });
  }
  return { state, images: img, queries: qry, points: out, kinds };
}
