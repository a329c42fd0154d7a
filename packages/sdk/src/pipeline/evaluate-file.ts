// `m4kit eval` as a function: read embeddings and metadata, run the chosen tasks on the GPU (or CPU), and
// return one report object used by the terminal table, the JSON output and the HTML report alike.
import { init } from '@m4kit/kernels';
import { writeFile } from 'node:fs/promises';
import { able } from '../evaluate/metrics.js';
import { biasPrompts } from '../evaluate/prompts.js';
import type { Embeddings } from '../evaluate/search.js';
import { biasRetrieval, classEmbeddings, retrieval, zeroShot } from '../evaluate/tasks.js';
import { readEmbeddings } from '../io/embeddings.js';
import { DataError } from '../io/errors.js';
import { readTable, type Row } from '../io/read.js';
import { atomicWrite } from '../io/write.js';
import { evalReportHtml } from '../report/html.js';
import { unknownColumnMessage } from '../io/values.js';
import type { EvalOptions, EvalReport, EvalTask } from './evaluate-types.js';

export type { EvalTask, EvalOptions, EvalReport } from './evaluate-types.js';

async function readRows(file: string): Promise<{ columns: string[]; rows: Row[] }> {
  const rows: Row[] = [];
  let columns: string[] = [];
  for await (const ch of readTable(file)) {
    columns = ch.columns;
    rows.push(...ch.rows);
  }
  return { columns, rows };
}

function column(
  file: string,
  t: { columns: string[]; rows: Row[] },
  name: string,
  expectRows: number,
  what: string,
): string[] {
  if (!t.columns.includes(name)) throw new DataError(unknownColumnMessage(name, t.columns), { file, column: name });
  if (t.rows.length !== expectRows)
    throw new DataError(`${t.rows.length} rows, but there are ${expectRows} ${what}`, { file });
  return t.rows.map((r, i) => {
    const v = r[name];
    if (v === null || v === undefined || v === '')
      throw new DataError('missing value', { file, row: i + 1, column: name });
    return String(v);
  });
}

/**
 * Evaluate a CLIP-style model from embedding files: zero-shot accuracy, retrieval and bias retrieval (`task`), with
 * the JSON and HTML reports written when asked for.
 *
 * @param o - the image / text embedding files (.npy or safetensors), their metadata tables, the task, k, the desired
 *   attribute distribution, the backend and the report paths
 * @returns the evaluation report (also written to `reportJson` / `reportHtml` when given)
 * @throws DataError naming the file, row and column of bad input
 *
 * @example
 * ```js
 * import { writeFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { evaluateFiles, npyBytes } from '@m4kit/sdk/node';
 * // 4 image and 4 caption embeddings (3-d; `m4kit embed` writes real ones); caption i describes image i
 * const f = (name) => join(tmpdir(), name);
 * writeFileSync(f('img.npy'), npyBytes([4, 3], '<f4', [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0]));
 * writeFileSync(f('txt.npy'), npyBytes([4, 3], '<f4', [0.9, 0.1, 0, 0, 1, 0.1, 0.1, 0, 1, 1, 0.9, 0]));
 * writeFileSync(f('captions.csv'), 'image\n0\n1\n2\n3\n');
 * const report = await evaluateFiles({
 *   images: f('img.npy'),
 *   texts: f('txt.npy'),
 *   textMeta: f('captions.csv'),
 *   task: 'retrieval',
 *   backend: 'cpu',
 * });
 * console.log(report.retrieval.imageToText['R@1'], report.retrieval.textToImage['R@1']);
 * ```
 */
export async function evaluateFiles(o: EvalOptions): Promise<EvalReport> {
  const t0 = performance.now();
  const task = o.task ?? 'all';
  const images = await readEmbeddings(o.images);
  const texts = o.texts ? await readEmbeddings(o.texts) : undefined;
  if (texts && texts.d !== images.d)
    throw new DataError(`texts have dimension ${texts.d}, images ${images.d}`, { file: o.texts });
  const meta = o.labels ? await readRows(o.labels) : undefined;
  const tmeta = o.textMeta ? await readRows(o.textMeta) : undefined;
  const kernels = o.kernels ?? (await init({ backend: o.backend ?? 'auto' }));
  const report: EvalReport = {
    createdAt: new Date().toISOString(),
    backend: kernels.adapter ? `webgpu (${kernels.adapter.description || kernels.adapter.device})` : 'cpu',
    inputs: {
      images: o.images,
      texts: o.texts,
      labels: o.labels,
      textMeta: o.textMeta,
      imageCount: images.n,
      textCount: texts?.n,
      dim: images.d,
      attribute: o.attribute,
    },
    unit: 'fraction',
    warnings: [],
    timeMs: 0,
  };
  for (const [file, e] of [
    [o.images, images],
    [o.texts, texts],
  ] as const) {
    if (!e || !file) continue;
    const zero: number[] = [];
    for (let i = 0; i < e.n; i++) {
      let nz = false;
      for (let j = 0; j < e.d && !nz; j++) nz = e.data[i * e.d + j] !== 0;
      if (!nz) zero.push(i + 1);
    }
    if (zero.length)
      report.warnings.push(
        `${file}: ${zero.length} all-zero embedding row(s) (rows ${zero.slice(0, 5).join(', ')}${zero.length > 5 ? ', …' : ''}; 1-based): they have no direction, so their similarity ranks are arbitrary`,
      );
  }
  const need = (cond: unknown, msg: string) => {
    if (!cond) throw new DataError(msg);
  };
  try {
    const want = (t: EvalTask) => task === t || task === 'all';
    // zero-shot: needs texts (class prompts) with text-meta `class` and per-image labels
    const canZero = !!(texts && tmeta?.columns.includes('class') && meta?.columns.includes(o.classColumn ?? 'label'));
    if (want('zeroshot') && (task === 'zeroshot' || canZero)) {
      need(
        texts && tmeta && meta,
        '--task zeroshot needs --texts (class prompt embeddings), --text-meta (column "class") and --labels (class per image)',
      );
      const promptClass = column(o.textMeta!, tmeta!, 'class', texts!.n, 'text embeddings');
      const classes = [...new Set(promptClass)].sort();
      const cIdx = new Map(classes.map((c, i) => [c, i]));
      const imgClass = column(o.labels!, meta!, o.classColumn ?? 'label', images.n, 'images');
      const labels = imgClass.map((c, i) => {
        const j = cIdx.get(c);
        if (j === undefined)
          throw new DataError(`unknown label "${c}" (no prompt has this class)`, {
            file: o.labels,
            row: i + 1,
            column: o.classColumn ?? 'label',
          });
        return j;
      });
      const cls = classEmbeddings(
        texts!,
        promptClass.map((c) => cIdx.get(c)!),
        classes.length,
      );
      const z = await zeroShot(kernels, images, cls, labels);
      const { predicted: _p, ...rest } = z;
      report.zeroshot = { ...rest, classes };
    }
    const canRet = !!(texts && tmeta?.columns.includes('image'));
    if (want('retrieval') && (task === 'retrieval' || canRet)) {
      need(
        texts && tmeta,
        '--task retrieval needs --texts (captions) and --text-meta with column "image" (0-based image index per caption)',
      );
      const img = column(o.textMeta!, tmeta!, 'image', texts!.n, 'captions').map((v, i) => {
        const x = Number(v);
        if (!Number.isInteger(x) || x < 0 || x >= images.n)
          throw new DataError(`image index ${v} is outside 0..${images.n - 1}`, {
            file: o.textMeta,
            row: i + 1,
            column: 'image',
          });
        return x;
      });
      report.retrieval = await retrieval(kernels, images, texts!, img);
    }
    const canBias = !!(texts && o.attribute && meta);
    if (want('bias') && (task === 'bias' || canBias)) {
      need(texts && meta && o.attribute, '--task bias needs --texts (query embeddings), --labels and --attribute');
      const attr = column(o.labels!, meta!, o.attribute!, images.n, 'images');
      const groups = [...new Set(attr)].sort();
      const gIdx = new Map(groups.map((g, i) => [g, i]));
      const names = tmeta?.columns.includes('query')
        ? column(o.textMeta!, tmeta!, 'query', texts!.n, 'query embeddings')
        : texts!.n === 319
          ? biasPrompts()
          : Array.from({ length: texts!.n }, (_, i) => `query ${i}`);
      if ((o.k ?? 1000) > images.n)
        report.warnings.push(
          `-k ${o.k ?? 1000} is larger than the ${images.n} images: MaxSkew@k and NDKL@k use k = ${images.n}`,
        );
      report.bias = await biasRetrieval(
        kernels,
        images,
        attr.map((a) => gIdx.get(a)!),
        groups,
        texts!,
        names,
        { k: o.k ?? 1000, desired: o.desired, normalizeImages: o.normalizeImages },
      );
    }
    if (report.bias && report.zeroshot && report.zeroshot.top1 > 0)
      report.able = able(report.bias.maxSkew, report.zeroshot.top1);
    if (!report.zeroshot && !report.retrieval && !report.bias)
      throw new DataError(
        'nothing to evaluate: give --texts and --text-meta / --labels / --attribute for a task (see m4kit eval --help)',
      );
  } finally {
    if (!o.kernels) kernels.destroy();
  }
  report.timeMs = performance.now() - t0;
  if (o.reportHtml) await atomicWrite(o.reportHtml, (tmp) => writeFile(tmp, evalReportHtml(report)));
  if (o.reportJson) await atomicWrite(o.reportJson, (tmp) => writeFile(tmp, JSON.stringify(report, null, 2)));
  return report;
}

export type { Embeddings };
