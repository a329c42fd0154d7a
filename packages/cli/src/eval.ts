import { evaluateFiles, type EvalReport, type EvalTask } from '@m4kit/sdk/node';

export interface EvalCliOptions {
  images: string;
  texts?: string;
  labels?: string;
  textMeta?: string;
  task: EvalTask;
  attribute?: string;
  classColumn: string;
  k: number;
  desired: 'uniform' | 'prior';
  normalizeImages?: boolean;
  backend: 'auto' | 'webgpu' | 'cpu';
  report?: string;
  out?: string;
  json?: boolean;
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

export function formatEval(r: EvalReport): string {
  const L = [
    `m4kit eval — ${r.inputs.imageCount} images × ${r.inputs.dim} dims on ${r.backend} (${r.timeMs.toFixed(0)} ms)`,
  ];
  if (r.zeroshot) {
    const z = r.zeroshot;
    L.push(
      '',
      `zero-shot  top-1 ${f(100 * z.top1)}%   top-5 ${f(100 * z.top5)}%   mean per-class top-1 ${f(100 * z.meanPerClassTop1)}%`,
    );
    const worst = z.classes
      .map((c, i) => ({ c, ...z.perClass[i] }))
      .filter((x) => x.count)
      .sort((a, b) => a.top1 - b.top1)
      .slice(0, 5);
    L.push(`  weakest classes: ${worst.map((w) => `${w.c} ${f(100 * w.top1, 1)}%`).join(', ')}`);
  }
  if (r.retrieval) {
    const t = r.retrieval;
    L.push('', '             R@1     R@5     R@10   (%)');
    L.push(
      `image→text ${f(100 * t.imageToText['R@1']).padStart(6)}  ${f(100 * t.imageToText['R@5']).padStart(6)}  ${f(100 * t.imageToText['R@10']).padStart(6)}`,
    );
    L.push(
      `text→image ${f(100 * t.textToImage['R@1']).padStart(6)}  ${f(100 * t.textToImage['R@5']).padStart(6)}  ${f(100 * t.textToImage['R@10']).padStart(6)}`,
    );
  }
  if (r.bias) {
    const b = r.bias;
    L.push(
      '',
      `bias (${r.inputs.attribute}, k = ${b.k}, ${b.perQuery.length} queries)  MaxSkew@k ${f(b.maxSkew, 4)}   NDKL@k ${f(b.ndkl, 4)}${r.able !== undefined ? `   ABLE ${f(r.able, 4)}` : ''}`,
    );
    L.push(
      `  group shares: image set ${b.groups.map((g, i) => `${g} ${f(b.datasetShares[i], 3)}`).join(', ')} | top-k ${b.groups.map((g, i) => `${g} ${f(b.meanShares[i], 3)}`).join(', ')}`,
    );
    const worst = [...b.perQuery].sort((a, c) => c.maxSkew - a.maxSkew).slice(0, 5);
    L.push(`  most skewed queries: ${worst.map((q) => `"${q.query}" ${f(q.maxSkew, 3)}`).join(', ')}`);
  }
  return L.join('\n');
}

export async function runEval(o: EvalCliOptions): Promise<void> {
  const r = await evaluateFiles({
    images: o.images,
    texts: o.texts,
    labels: o.labels,
    textMeta: o.textMeta,
    task: o.task,
    attribute: o.attribute,
    classColumn: o.classColumn,
    k: o.k,
    desired: o.desired,
    normalizeImages: o.normalizeImages,
    backend: o.backend,
    reportHtml: o.report,
    reportJson: o.out,
  });
  for (const w of r.warnings) console.error(`m4kit: warning: ${w}`);
  if (o.json) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(formatEval(r));
    if (o.report) console.log(`\nwrote ${o.report}`);
  }
}
