// Without WebGPU: a 2-D Observable Plot scatter of the first two principal axes (computed by the same kernels
// calls on the float64 CPU backend), coloured by group, opacity by q, queries labelled.
import * as Plot from '@observablehq/plot';
import type { ExplorerData } from './types';

export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#8a7a00', '#000000'];

export function plotFallback(
  el: HTMLElement,
  d: ExplorerData,
  P: Float32Array,
  Pq: Float32Array | null,
  which: string,
): void {
  const pts = Array.from({ length: d.n }, (_, i) => ({
    x: P[i * 3],
    y: P[i * 3 + 1],
    group: d.groupNames[d.group[i]],
    q: d.q ? d.q[i] : 1,
    row: i,
  }));
  const qs = Pq && d.queries ? d.queries.names.map((name, i) => ({ x: Pq[i * 3], y: Pq[i * 3 + 1], name })) : [];
  const node = Plot.plot({
    width: Math.max(320, Math.min(900, el.clientWidth || 700)),
    height: 520,
    grid: true,
    x: { label: 'PC 1' },
    y: { label: 'PC 2' },
    color: { domain: d.groupNames, range: PALETTE, legend: true },
    opacity: { domain: [0, 1], range: [0.15, 0.9] },
    marks: [
      Plot.dot(pts, {
        x: 'x',
        y: 'y',
        fill: 'group',
        fillOpacity: 'q',
        r: 3,
        tip: true,
        title: (p: { row: number; group: string; q: number }) => `row ${p.row}\n${p.group}\nq = ${p.q.toFixed(3)}`,
      }),
      Plot.dot(qs, { x: 'x', y: 'y', r: 6, stroke: 'black', fill: 'white' }),
      Plot.text(qs, { x: 'x', y: 'y', text: 'name', dy: -12, fontWeight: 'bold' }),
    ],
  });
  node.setAttribute('aria-label', `2-D scatter of the image embeddings ${which} debiasing (PC 1 vs PC 2)`);
  el.replaceChildren(node);
}
