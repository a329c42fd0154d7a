// Self-contained HTML report (inline SVG, no scripts or external assets) for `m4kit eval`.
import type { EvalReport } from '../pipeline/evaluate-types.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/**
 * Horizontal bar chart: one bar per item, optional reference line.
 * @param title - the chart's title.
 * @param items - one bar per item.
 * @param opts - axis max, reference line, colour, unit.
 * @returns an HTML fragment (inline SVG).
 */
export function barChart(
  title: string,
  items: { label: string; value: number }[],
  opts: { max?: number; ref?: number; refLabel?: string; color?: string; unit?: string } = {},
): string {
  const rowH = 18;
  const labelW = 260;
  const w = 720;
  const plotW = w - labelW - 70;
  const max = opts.max ?? Math.max(1e-9, ...items.map((i) => i.value), opts.ref ?? 0);
  const h = items.length * rowH + 30;
  const bars = items
    .map((it, i) => {
      const bw = Math.max(0, (it.value / max) * plotW);
      const y = 20 + i * rowH;
      return `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end" font-size="11">${esc(it.label.length > 42 ? it.label.slice(0, 41) + '…' : it.label)}</text>
<rect x="${labelW}" y="${y + 2}" width="${bw.toFixed(1)}" height="${rowH - 5}" fill="${opts.color ?? '#4c78a8'}"><title>${esc(it.label)}: ${fmt(it.value, 4)}</title></rect>
<text x="${labelW + bw + 4}" y="${y + 12}" font-size="10" fill="#444">${fmt(it.value)}${opts.unit ?? ''}</text>`;
    })
    .join('\n');
  const ref =
    opts.ref !== undefined
      ? `<line x1="${labelW + (opts.ref / max) * plotW}" x2="${labelW + (opts.ref / max) * plotW}" y1="16" y2="${h - 8}" stroke="#e45756" stroke-dasharray="4 3"/><text x="${labelW + (opts.ref / max) * plotW + 3}" y="13" font-size="10" fill="#e45756">${esc(opts.refLabel ?? '')}</text>`
      : '';
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img">${bars}${ref}</svg></figure>`;
}

/**
 * Stacked 100% bars: shares of each group per row.
 * @param title - the chart's title.
 * @param rows - one bar per row: its label and group shares.
 * @param groups - the group names (legend).
 * @returns an HTML fragment (inline SVG).
 */
export function stackedShares(title: string, rows: { label: string; shares: number[] }[], groups: string[]): string {
  const palette = [
    '#4c78a8',
    '#f58518',
    '#54a24b',
    '#e45756',
    '#72b7b2',
    '#eeca3b',
    '#b279a2',
    '#ff9da6',
    '#9d755d',
    '#bab0ac',
  ];
  const rowH = 18;
  const labelW = 260;
  const plotW = 400;
  const h = rows.length * rowH + 40;
  const body = rows
    .map((r, i) => {
      let x = labelW;
      const y = 30 + i * rowH;
      const segs = r.shares
        .map((s, g) => {
          const w = s * plotW;
          const rect = `<rect x="${x.toFixed(1)}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 5}" fill="${palette[g % palette.length]}"><title>${esc(groups[g])}: ${fmt(s)}</title></rect>`;
          x += w;
          return rect;
        })
        .join('');
      return `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end" font-size="11">${esc(r.label.length > 42 ? r.label.slice(0, 41) + '…' : r.label)}</text>${segs}`;
    })
    .join('\n');
  const legend = groups
    .map(
      (g, i) =>
        `<rect x="${labelW + i * 110}" y="4" width="10" height="10" fill="${palette[i % palette.length]}"/><text x="${labelW + i * 110 + 14}" y="13" font-size="11">${esc(g)}</text>`,
    )
    .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 20}" height="${h}" role="img">${legend}${body}</svg></figure>`;
}

/**
 * A self-contained HTML page of an evaluation report (charts as inline SVG).
 * @param r - the report.
 * @returns the HTML document.
 */
export function evalReportHtml(r: EvalReport): string {
  const parts: string[] = [];
  parts.push(
    `<h1>m4kit eval</h1><p>${esc(r.inputs.images)} — ${r.inputs.imageCount} images × ${r.inputs.dim} dims; backend ${esc(r.backend)}; ${new Date(r.createdAt).toUTCString()}</p>`,
  );
  if (r.zeroshot) {
    const z = r.zeroshot;
    parts.push(
      `<h2>Zero-shot classification</h2><table><tr><th>top-1</th><th>top-5</th><th>mean per-class top-1</th></tr><tr><td>${fmt(100 * z.top1, 2)}%</td><td>${fmt(100 * z.top5, 2)}%</td><td>${fmt(100 * z.meanPerClassTop1, 2)}%</td></tr></table>`,
    );
    parts.push(
      barChart(
        'Top-1 accuracy per class',
        z.classes.map((c, i) => ({ label: `${c} (${z.perClass[i].count})`, value: 100 * z.perClass[i].top1 })),
        { max: 100, unit: '%', ref: 100 * z.top1, refLabel: 'overall' },
      ),
    );
  }
  if (r.retrieval) {
    const t = r.retrieval;
    parts.push(`<h2>Retrieval</h2><table><tr><th></th><th>R@1</th><th>R@5</th><th>R@10</th></tr>
<tr><td>image → text</td><td>${fmt(100 * t.imageToText['R@1'], 2)}%</td><td>${fmt(100 * t.imageToText['R@5'], 2)}%</td><td>${fmt(100 * t.imageToText['R@10'], 2)}%</td></tr>
<tr><td>text → image</td><td>${fmt(100 * t.textToImage['R@1'], 2)}%</td><td>${fmt(100 * t.textToImage['R@5'], 2)}%</td><td>${fmt(100 * t.textToImage['R@10'], 2)}%</td></tr></table>`);
  }
  if (r.bias) {
    const b = r.bias;
    parts.push(
      `<h2>Bias retrieval: ${esc(r.inputs.attribute ?? 'attribute')} (k = ${b.k})</h2><table><tr><th>MaxSkew@${b.k}</th><th>NDKL@${b.k}</th>${r.able !== undefined ? '<th>ABLE</th>' : ''}</tr><tr><td>${fmt(b.maxSkew, 4)}</td><td>${fmt(b.ndkl, 4)}</td>${r.able !== undefined ? `<td>${fmt(r.able, 4)}</td>` : ''}</tr></table>`,
    );
    parts.push(
      stackedShares(
        'Group shares: whole image set vs mean over the top-k of all queries',
        [
          { label: 'image set', shares: b.datasetShares },
          { label: `top-${b.k} (mean over queries)`, shares: b.meanShares },
        ],
        b.groups,
      ),
    );
    const worst = [...b.perQuery].sort((a, c) => c.maxSkew - a.maxSkew);
    parts.push(
      barChart(
        `MaxSkew@${b.k} per query (worst first)`,
        worst.slice(0, 60).map((q) => ({ label: q.query, value: q.maxSkew })),
        { ref: b.maxSkew, refLabel: 'mean', color: '#f58518' },
      ),
    );
    parts.push(
      stackedShares(
        `Group shares in the top-${b.k} (worst 30 queries)`,
        worst.slice(0, 30).map((q) => ({ label: q.query, shares: q.shares })),
        b.groups,
      ),
    );
  }
  const css =
    'body{font:14px system-ui,sans-serif;max-width:900px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:4px}';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>m4kit eval report</title><style>${css}</style></head><body>${parts.join('\n')}<script type="application/json" id="m4kit-data">${JSON.stringify(r).replace(/</g, '\\u003c')}</script></body></html>`;
}
