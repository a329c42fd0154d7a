// A MomentsEngine over a table file that does not fit in memory: every pass re-reads the file in chunks,
// encodes each chunk against the vocabularies found by the first scan, and adds the chunk's sums.
// Memory: one chunk of rows. Time: one scan per solver iteration (use the patterns path when you can).
import type { Kernels } from '@m4kit/kernels';
import { addMomentsSums } from '../balance/engine-merge.js';
import { createCpuEngine } from '../balance/engine-cpu.js';
import { createGpuEngine } from '../balance/engine-gpu.js';
import type { MomentsEngine, MomentsSums } from '../balance/types.js';
import { expandRows, TableEncoder, type ColumnSpec, type EncodedTable } from '../io/encode.js';
import { readTable, type ReadOptions } from '../io/read.js';
import { statSync } from 'node:fs';
import { DataError } from '../io/errors.js';

/**
 * Options of `createFileEngine`: chunk size, the GPU to run passes on, and the text encoding.
 */
export interface FileEngineOptions {
  chunkRows?: number;
  /** run each chunk's pass on this GPU (default: float64 CPU) */
  kernels?: Kernels;
  /** text encoding of CSV/JSONL files (default utf-8) */
  encoding?: ReadOptions['encoding'];
}

/**
 * A `MomentsEngine` that streams the table file from disk on every pass (constant memory; `lowMemory`).
 * @param path - the table file.
 * @param spec - the column spec.
 * @param first - the table as encoded once (vocabulary and counts).
 * @param pi - the m target shares.
 * @param opts - chunk rows, GPU, text encoding.
 * @returns the engine.
 */
export function createFileEngine(
  path: string,
  spec: ColumnSpec,
  first: EncodedTable,
  pi: ArrayLike<number>,
  opts: FileEngineOptions = {},
): MomentsEngine {
  const vocab = { attributes: first.attributeNames, labels: first.labelNames, columns: first.columns };
  const m = vocab.attributes.length;
  const c = vocab.labels.length;
  const chunkRows = opts.chunkRows ?? 262144;
  // the file is re-read on every pass: one that changes mid-run is named as changed (it would look infeasible)
  const sig = (s = statSync(path)) => `${s.size}:${s.mtimeMs}:${s.ino}`;
  const at0 = sig();
  const changed = (why: string) =>
    new DataError(
      `the input changed while it was being balanced (${why}): --low-memory re-reads it on every solver pass; ` +
        'keep it unchanged until the run ends (or copy it first)',
      { file: path },
    );
  async function* chunks(): AsyncGenerator<MomentsEngine> {
    if (sig() !== at0) throw changed('size or modification time differ');
    let rows = 0;
    for await (const ch of readTable(path, { chunkRows, encoding: opts.encoding })) {
      rows += ch.rows.length;
      if (sig() !== at0) throw changed('size or modification time differ');
      const enc = new TableEncoder(spec, path, vocab);
      enc.push(ch);
      const { data } = expandRows(enc.finish());
      const k = opts.kernels;
      const e = k?.backend === 'webgpu' ? createGpuEngine(k, data, pi) : createCpuEngine(data, pi);
      try {
        yield e;
      } finally {
        e.dispose();
      }
    }
    if (rows !== first.rows) throw changed(`${rows} rows now, ${first.rows} at the first scan`);
  }
  const n = first.rows - first.dropped;
  return {
    n,
    m,
    c,
    pi: Float64Array.from(pi),
    async pass(W, mu, eta, fixedQ): Promise<MomentsSums> {
      const parts: MomentsSums[] = [];
      for await (const e of chunks()) parts.push(await e.pass(W, mu, eta, fixedQ));
      return addMomentsSums(parts);
    },
    async q(W, mu, eta) {
      const out = new Float64Array(n);
      let o = 0;
      for await (const e of chunks()) {
        const q = await e.q(W, mu, eta);
        out.set(q, o);
        o += q.length;
      }
      return out;
    },
    async frobenius() {
      let f = 0;
      for await (const e of chunks()) f += await e.frobenius();
      return f;
    },
    dispose() {},
  };
}
