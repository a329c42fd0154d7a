// The demo's worker: parses files, balances with @m4kit/sdk (WebGPU here, off the page's thread), evaluates
// retrieval bias, serialises downloads. Holds the parsed table and the last result between messages.
import { init, type Kernels } from '@m4kit/kernels';
import {
  balanceEncoded,
  balanceOutputColumns,
  columnSpecWarnings,
  biasRetrieval,
  describeColumns,
  parseNpyBytes,
  parseTableBytes,
  TableEncoder,
  tableToBytes,
  DataError,
  type BalanceResult,
  type EncodedTable,
  type BalanceOptions,
} from '@m4kit/sdk';
import type { BalanceDone, BalanceProgress, EvalDone, LoadResult, ProbeResult, ToWorker } from './protocol';
import { serve, type CallContext } from './rpc';

type TableChunk = Awaited<ReturnType<typeof parseTableBytes>>;

let table: { name: string; chunk: TableChunk } | null = null;
let last: { enc: EncodedTable; result: BalanceResult; idName?: string } | null = null;
let gpu: Promise<Kernels | null> | null = null;
let gpuReason = '';

/** One WebGPU kernels instance per worker: pipelines compile once (slow on software adapters). */
function kernelsGpu(): Promise<Kernels | null> {
  gpu ??= (async () => {
    const nav = (self as unknown as { navigator?: { gpu?: GPU } }).navigator;
    if (!nav?.gpu) {
      gpuReason = 'this browser exposes no WebGPU (navigator.gpu is missing)';
      return null;
    }
    try {
      return await init({ backend: 'webgpu' });
    } catch (e) {
      gpuReason = (e as Error).message;
      return null;
    }
  })();
  return gpu;
}

async function probe(): Promise<ProbeResult> {
  const k = await kernelsGpu();
  if (!k) return { webgpu: false, reason: gpuReason };
  const a = k.adapter;
  const adapter =
    [a?.vendor, a?.architecture, a?.device, a?.description].filter(Boolean).join(' · ') || 'WebGPU adapter';
  return { webgpu: true, adapter, isSoftware: a?.isSoftware };
}

async function load(name: string, bytes: ArrayBuffer): Promise<LoadResult> {
  table = null;
  last = null;
  const chunk = await parseTableBytes(bytes, name);
  if (!chunk.columns.length) throw new DataError('the file has no columns', { file: name });
  if (!chunk.rows.length) throw new DataError('the table has no rows', { file: name });
  table = { name, chunk };
  const show = (v: unknown) => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' | ') : String(v));
  const preview = chunk.rows.slice(0, 8).map((r) => Object.fromEntries(chunk.columns.map((c) => [c, show(r[c])])));
  return { name, rows: chunk.rows.length, columns: describeColumns(chunk), preview };
}

async function balance(
  req: Extract<ToWorker, { type: 'balance' }>['req'],
  ctx: CallContext<BalanceProgress>,
): Promise<BalanceDone> {
  if (!table) throw new Error('load a table first');
  last = null;
  const o = req.options;
  const spec = { attributes: req.attributes, labels: req.labels, missing: o.missing, combine: o.combine };
  const enc = new TableEncoder(spec, table.name);
  enc.push(table.chunk);
  const encoded = enc.finish();
  let kernels: Kernels | undefined;
  if (o.backend !== 'cpu') {
    kernels = (await kernelsGpu()) ?? undefined;
    if (!kernels && o.backend === 'webgpu')
      throw new Error(`WebGPU is not available: ${gpuReason}. Choose the CPU backend.`);
  }
  let lastPost = 0;
  const result = await balanceEncoded(encoded, {
    ...(o as BalanceOptions),
    backend: kernels ? 'webgpu' : 'cpu',
    kernels,
    // the page shows an infeasible run's report (status, largest feasible η) as the CLI's summary does
    onInfeasible: 'return',
    // and an unconverged run's report (status 'max-iter'), as the CLI does before exiting 4
    onNotConverged: 'return',
    onProgress: (p) => {
      const now = performance.now();
      if (now - lastPost < 50 && p.iter < p.maxIter) return;
      lastPost = now;
      ctx.progress(p);
    },
  });
  const warnings = columnSpecWarnings({ attributes: req.attributes, labels: req.labels });
  warnings.push(...(encoded.warnings ?? []));
  if (warnings.length) result.report.warnings = warnings;
  last = { enc: encoded, result };
  const dropped = Uint8Array.from(encoded.rowToPattern, (p) => (p < 0 ? 1 : 0));
  const done = { report: result.report, q: result.q.slice(), keep: result.keep.slice(), dropped };
  ctx.transfer.push(done.q.buffer, done.keep.buffer, done.dropped.buffer);
  return done;
}

async function download(format: 'csv' | 'parquet', ctx: CallContext<BalanceProgress>): Promise<Uint8Array> {
  if (!last) throw new Error('run the balance first');
  const bytes = await tableToBytes(balanceOutputColumns(last.enc, last.result), format);
  ctx.transfer.push(bytes.buffer as ArrayBuffer);
  return bytes;
}

async function evaluate(req: Extract<ToWorker, { type: 'eval' }>['req']): Promise<EvalDone> {
  const images = parseNpyBytes(req.images.bytes, req.images.name);
  const queries = parseNpyBytes(req.queries.bytes, req.queries.name);
  if (images.d !== queries.d)
    throw new DataError(`query embeddings have dimension ${queries.d}, the image embeddings ${images.d}`, {
      file: req.queries.name,
    });
  const labels = await parseTableBytes(req.labels.bytes, req.labels.name);
  if (!labels.columns.includes(req.attribute))
    throw new DataError(`unknown column "${req.attribute}" (columns: ${labels.columns.join(', ')})`, {
      file: req.labels.name,
      column: req.attribute,
    });
  if (labels.rows.length !== images.n)
    throw new DataError(
      `${labels.rows.length} label rows but ${images.n} image embeddings (row i must describe image i)`,
      { file: req.labels.name },
    );
  const values = labels.rows.map((r, i) => {
    const v = r[req.attribute];
    if (v === null || v === undefined || v === '')
      throw new DataError('missing attribute value', {
        file: req.labels.name,
        line: labels.lines?.[i],
        row: labels.lines ? undefined : i + 1,
        column: req.attribute,
      });
    return String(v);
  });
  const groups = [...new Set(values)].sort();
  const gi = new Map(groups.map((g, i) => [g, i]));
  const groupOf = Uint32Array.from(values, (v) => gi.get(v)!);
  let names = Array.from({ length: queries.n }, (_, i) => `query ${i + 1}`);
  if (req.queryNames) {
    const lines = new TextDecoder()
      .decode(req.queryNames.bytes)
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '');
    if (lines.length !== queries.n)
      throw new DataError(`${lines.length} query names but ${queries.n} query embeddings`, {
        file: req.queryNames.name,
      });
    names = lines;
  }
  let kernels: Kernels | null = null;
  if (req.backend !== 'cpu') {
    kernels = await kernelsGpu();
    if (!kernels && req.backend === 'webgpu')
      throw new Error(`WebGPU is not available: ${gpuReason}. Choose the CPU backend.`);
  }
  const k = kernels ?? (await init({ backend: 'cpu' }));
  const r = await biasRetrieval(k, images, groupOf, groups, queries, names, { k: req.k });
  const backend = kernels ? `webgpu (${kernels.adapter?.description || 'adapter'})` : 'cpu';
  return {
    k: r.k,
    groups: r.groups,
    maxSkew: r.maxSkew,
    ndkl: r.ndkl,
    perQuery: r.perQuery,
    datasetShares: r.datasetShares,
    backend,
  };
}

serve<ToWorker, BalanceProgress>({
  probe: () => probe(),
  load: (m) => load(m.name, m.bytes),
  columns: async (m) => (await parseTableBytes(m.bytes, m.name)).columns,
  balance: (m, ctx) => balance(m.req, ctx),
  download: (m, ctx) => download(m.format, ctx),
  eval: (m) => evaluate(m.req),
});
