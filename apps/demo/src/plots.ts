// Before/after charts (Observable Plot). Every chart also has its numbers in a table on the page.
import * as Plot from '@observablehq/plot';
import type { BalanceReport } from '@m4kit/sdk';
import type { EvalDone } from './protocol';

const WHEN = ['before', 'after'];
// Okabe–Ito: distinguishable with common colour-vision deficiencies, ≥ 3:1 against white for the bars used
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#8a7a00', '#000000'];

function mount(el: HTMLElement, node: Element | null): void {
  el.replaceChildren();
  if (node) el.append(node);
}

const width = (el: HTMLElement) => Math.max(320, Math.min(760, el.clientWidth || 520));

export function plotShares(el: HTMLElement, r: BalanceReport): void {
  const data = r.bias.groups
    .flatMap((g) =>
      g.labels.flatMap((l) => [
        { when: 'before', label: l.label, group: g.attribute, share: l.condBefore },
        { when: 'after', label: l.label, group: g.attribute, share: l.condAfter },
      ]),
    )
    .filter((d) => Number.isFinite(d.share));
  const pi0 = r.bias.groups[0]?.target ?? 0.5;
  mount(
    el,
    Plot.plot({
      width: width(el),
      height: 60 + 26 * r.input.labels.length,
      marginLeft: 190,
      x: { label: 'share of the label’s (kept) weight', domain: [0, 1], grid: true },
      y: { label: null },
      fx: { domain: WHEN, label: null },
      color: { legend: true, range: PALETTE, domain: r.bias.groups.map((g) => g.attribute) },
      marks: [
        Plot.barX(
          data,
          Plot.stackX({
            x: 'share',
            y: 'label',
            fx: 'when',
            fill: 'group',
            order: r.bias.groups.map((g) => g.attribute),
            tip: true,
          }),
        ),
        r.bias.groups.length > 1 ? Plot.ruleX([pi0], { stroke: '#222', strokeDasharray: '4,3' }) : null,
      ],
    }),
  );
}

/** 'after' in the moments ε bounds: the balanced data's (default), or the joint moments (tolerance 'joint'). */
const joint = (r: BalanceReport) => r.options.tolerance === 'joint';

export function plotAssociation(el: HTMLElement, r: BalanceReport): void {
  const data = r.bias.groups.flatMap((g) =>
    g.labels.flatMap((l) => [
      { when: 'before', label: l.label, group: g.attribute, C: l.cBefore },
      { when: 'after', label: l.label, group: g.attribute, C: joint(r) ? l.cAfter : l.cBalanced },
    ]),
  );
  const M = Math.max(1e-9, ...data.map((d) => Math.abs(d.C)));
  mount(
    el,
    Plot.plot({
      width: width(el),
      height: 150 + 34 * r.input.labels.length,
      marginBottom: 20,
      marginLeft: 190,
      padding: 0.05,
      x: { label: null },
      y: { label: null },
      fx: { domain: WHEN, label: null },
      color: { type: 'diverging', scheme: 'BuRd', domain: [-M, M], legend: true, label: 'C (group × label)' },
      marks: [
        Plot.cell(data, { x: 'group', y: 'label', fx: 'when', fill: 'C', tip: true }),
        Plot.text(data, {
          x: 'group',
          y: 'label',
          fx: 'when',
          text: (d: { C: number }) => d.C.toFixed(3),
          fill: (d: { C: number }) => (Math.abs(d.C) > 0.6 * M ? 'white' : 'black'),
        }),
      ],
    }),
  );
}

export function plotRepresentation(el: HTMLElement, r: BalanceReport): void {
  const data = r.bias.groups.flatMap((g) => [
    { when: 'before', group: g.attribute, R: g.rBefore },
    { when: 'after', group: g.attribute, R: joint(r) ? g.rAfter : g.rBalanced },
  ]);
  const eps = r.options.epsRep;
  mount(
    el,
    Plot.plot({
      width: width(el),
      height: 70 + 50 * r.bias.groups.length,
      marginLeft: 110,
      x: { label: 'R_k (dashed: ±ε_R)', grid: true },
      y: { label: null, domain: WHEN },
      fy: { label: null },
      color: { domain: WHEN, range: ['#888888', '#0072B2'], legend: true },
      marks: [
        Plot.barX(data, { x: 'R', y: 'when', fy: 'group', fill: 'when', tip: true }),
        Plot.ruleX([-eps, eps], { stroke: '#222', strokeDasharray: '4,3' }),
        Plot.ruleX([0]),
      ],
    }),
  );
}

export function plotKeep(el: HTMLElement, q: Float64Array, dropped: Uint8Array, eta: number): void {
  const vals: number[] = [];
  for (let i = 0; i < q.length; i++) if (!dropped[i]) vals.push(q[i]);
  mount(
    el,
    Plot.plot({
      width: width(el),
      height: 220,
      x: { label: 'keep probability q (dashed: η)', domain: [0, 1] },
      y: { label: 'rows', grid: true },
      marks: [
        Plot.rectY(vals, {
          ...Plot.binX({ y: 'count' }, { x: (d: number) => d, thresholds: 40 }),
          fill: '#0072B2',
          tip: true,
        }),
        Plot.ruleX([eta], { stroke: '#D55E00', strokeDasharray: '4,3', strokeWidth: 2 }),
        Plot.ruleY([0]),
      ],
    }),
  );
}

export function plotEval(el: HTMLElement, r: EvalDone): void {
  const data = r.perQuery.flatMap((p) => [
    { query: p.query, metric: `MaxSkew@${r.k}`, value: p.maxSkew },
    { query: p.query, metric: `NDKL@${r.k}`, value: p.ndkl },
  ]);
  mount(
    el,
    Plot.plot({
      width: width(el),
      height: 60 + 22 * r.perQuery.length,
      marginLeft: 190,
      x: { grid: true, label: null },
      y: { label: null },
      fx: { label: null },
      marks: [Plot.barX(data, { x: 'value', y: 'query', fx: 'metric', fill: '#0072B2', tip: true }), Plot.ruleX([0])],
    }),
  );
}
