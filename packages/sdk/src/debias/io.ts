// Node file IO for the BA module: weights as safetensors + the config as JSON beside them, written atomically.
import { readFile, writeFile } from 'node:fs/promises';
import { DataError } from '../io/errors.js';
import { atomicWrite } from '../io/write.js';
import { type DebiasConfig, type DebiasModule, moduleFromSafetensors, moduleToSafetensors } from './train.js';

function configPath(path: string): string {
  return path.replace(/\.safetensors$/i, '') + '.json';
}

/** Write `path` (.safetensors; the extension is added if missing) and the JSON config beside it. */
export async function saveDebiasModule(mod: DebiasModule, path: string, opts: { dtype?: 'F32' | 'F64' } = {}): Promise<{ weights: string; config: string }> {
  const weights = /\.safetensors$/i.test(path) ? path : `${path}.safetensors`;
  const config = configPath(weights);
  const bytes = moduleToSafetensors(mod, opts.dtype ?? 'F32');
  await atomicWrite(weights, (tmp) => writeFile(tmp, bytes));
  await atomicWrite(config, (tmp) => writeFile(tmp, JSON.stringify(mod.config, null, 2) + '\n'));
  return { weights, config };
}

/** Read a module saved by saveDebiasModule (the JSON config is used when present, else the embedded one). */
export async function loadDebiasModule(path: string): Promise<DebiasModule> {
  const weights = /\.safetensors$/i.test(path) ? path : `${path}.safetensors`;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(weights));
  } catch {
    throw new DataError('file not found', { file: weights });
  }
  let config: DebiasConfig | undefined;
  try {
    config = JSON.parse(await readFile(configPath(weights), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataError(`cannot read config: ${(e as Error).message}`, { file: configPath(weights) });
  }
  return moduleFromSafetensors(bytes, config, weights);
}

/** Write a 2-D float32 .npy (atomic). */
export async function writeNpy(path: string, e: { n: number; d: number; data: ArrayLike<number> }): Promise<void> {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${e.n}, ${e.d}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + e.n * e.d * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const f = Float32Array.from(e.data);
  out.set(new Uint8Array(f.buffer), 10 + header.length);
  await atomicWrite(path, (tmp) => writeFile(tmp, out));
}

/**
 * Attribute labels from a table column (row i = embedding i): categories are numbered in sorted order.
 * Empty values are an error naming the row.
 */
export async function readAttributeLabels(file: string, column: string): Promise<{ labels: Uint32Array; groups: string[] }> {
  const { readTable } = await import('../io/read.js');
  const raw: string[] = [];
  for await (const ch of readTable(file)) {
    if (!ch.columns.includes(column)) throw new DataError(`no column "${column}" (columns: ${ch.columns.join(', ')})`, { file });
    ch.rows.forEach((r, i) => {
      const v = r[column];
      if (v === null || v === undefined || v === '') throw new DataError('missing attribute value', { file, row: ch.offset + i + 1, column });
      raw.push(String(v));
    });
  }
  const groups = [...new Set(raw)].sort();
  const id = new Map(groups.map((g, i) => [g, i]));
  return { labels: Uint32Array.from(raw, (v) => id.get(v)!), groups };
}
