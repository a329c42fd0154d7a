// Node file IO for the BA module: weights as safetensors + the config as JSON beside them, written atomically.
import { readFile, writeFile } from 'node:fs/promises';
import { DataError } from '../io/errors.js';
import { atomicWrite } from '../io/write.js';
import { npyBytes } from '../io/tensor-bytes.js';
import { type DebiasConfig, type DebiasModule, moduleFromSafetensors, moduleToSafetensors } from './module.js';

function configPath(path: string): string {
  return path.replace(/\.safetensors$/i, '') + '.json';
}

/**
 * Write `path` (.safetensors; the extension is added if missing) and the JSON config beside it.
 * @param mod - a trained module (`debias()`).
 * @param path - output path (".safetensors" added when missing).
 * @param opts - weight dtype (default 'F32').
 * @returns the two paths written.
 */
export async function saveDebiasModule(
  mod: DebiasModule,
  path: string,
  opts: { dtype?: 'F32' | 'F64' } = {},
): Promise<{ weights: string; config: string }> {
  const weights = /\.safetensors$/i.test(path) ? path : `${path}.safetensors`;
  const config = configPath(weights);
  const bytes = moduleToSafetensors(mod, opts.dtype ?? 'F32');
  await atomicWrite(weights, (tmp) => writeFile(tmp, bytes));
  await atomicWrite(config, (tmp) => writeFile(tmp, JSON.stringify(mod.config, null, 2) + '\n'));
  return { weights, config };
}

/**
 * Read a module saved by saveDebiasModule (the JSON config is used when present, else the embedded one).
 * @param path - the .safetensors file (extension optional).
 * @returns the module.
 * @throws DataError when the file cannot be read; ArgumentError for a malformed file.
 */
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
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new DataError(`cannot read config: ${(e as Error).message}`, { file: configPath(weights) });
  }
  return moduleFromSafetensors(bytes, config, weights);
}

/**
 * Write a 2-D float32 .npy (atomic).
 * @param path - output path.
 * @param e - n×d values.
 */
export async function writeNpy(path: string, e: { n: number; d: number; data: ArrayLike<number> }): Promise<void> {
  const out = npyBytes([e.n, e.d], '<f4', e.data);
  await atomicWrite(path, (tmp) => writeFile(tmp, out));
}

/**
 * Attribute labels from a table column (row i = embedding i): categories are numbered in sorted order.
 * Empty values are an error naming the row.
 */
/** The official FairFace age classes [JV]: {0-2, 3-9, 10-19, 20-29} young, {30-39 … 50-59} middle-aged, {60-69, 70+} old. */
export const FAIRFACE_AGE_THRESHOLDS = [30, 60] as const;
/**
 * The names of the three FairFace age classes, in threshold order.
 */
export const FAIRFACE_AGE_CLASSES = ['young', 'middle-aged', 'old'] as const;

/**
 * Age values ("20-29", "more than 70", "35") → age classes by the lower bound of each value: below
 * thresholds[0] is class 0, and so on. Default: the official FairFace 3 classes. Returns the class of every
 * value and, per class, the raw values it holds (so callers can say which bins they used).
 * @param raw - age values as read from a table.
 * @param thresholds - class lower bounds (default [30, 60]).
 * @param where - file / column for error messages.
 * @returns each value's class name, the class names, and the raw values in each class.
 * @throws DataError naming the row of an unreadable age.
 */
export function binAges(
  raw: string[],
  thresholds: readonly number[] = FAIRFACE_AGE_THRESHOLDS,
  where: { file?: string; column?: string } = {},
): { values: string[]; classes: string[]; members: string[][] } {
  const t = [...thresholds];
  if (!t.length || t.some((x, i) => !Number.isFinite(x) || (i > 0 && x <= t[i - 1])))
    throw new DataError(`age bins: thresholds must be increasing numbers, got ${t.join(',')}`, where);
  const official = t.length === 2 && t[0] === FAIRFACE_AGE_THRESHOLDS[0] && t[1] === FAIRFACE_AGE_THRESHOLDS[1];
  const classes = official
    ? [...FAIRFACE_AGE_CLASSES]
    : t.map((x, i) => (i === 0 ? `<${x}` : `${t[i - 1]}-${x - 1}`)).concat(`${t[t.length - 1]}+`);
  const members = classes.map(() => new Set<string>());
  const values = raw.map((v, i) => {
    const m = /^\s*(?:more than\s*)?(\d+(?:\.\d+)?)/i.exec(v);
    if (!m)
      throw new DataError(`age value "${v}" has no number (expected e.g. "20-29", "more than 70" or "35")`, {
        ...where,
        row: i + 1,
      });
    const lo = Number(m[1]);
    let c = 0;
    while (c < t.length && lo >= t[c]) c++;
    members[c].add(v);
    return classes[c];
  });
  const byLow = (a: string, b: string) => parseFloat(a.replace(/^\D*/, '')) - parseFloat(b.replace(/^\D*/, ''));
  return { values, classes, members: members.map((x) => [...x].sort(byLow)) };
}

/**
 * Read one attribute column of a table file as class indices (age values binned by `binAges`).
 * @param file - the table file.
 * @param column - the attribute column.
 * @param opts - age thresholds when the column holds ages.
 * @returns a class index per row, the class names and, for ages, which raw values each class holds.
 * @throws DataError for a missing column or value.
 */
export async function readAttributeLabels(
  file: string,
  column: string,
  opts: { ageBins?: readonly number[] } = {},
): Promise<{ labels: Uint32Array; groups: string[]; bins?: { class: string; values: string[] }[] }> {
  const { readTable } = await import('../io/read.js');
  const raw: string[] = [];
  for await (const ch of readTable(file)) {
    if (!ch.columns.includes(column))
      throw new DataError(`no column "${column}" (columns: ${ch.columns.join(', ')})`, { file });
    ch.rows.forEach((r, i) => {
      const v = r[column];
      if (v === null || v === undefined || v === '')
        throw new DataError('missing attribute value', { file, row: ch.offset + i + 1, column });
      raw.push(String(v));
    });
  }
  if (opts.ageBins) {
    const b = binAges(raw, opts.ageBins, { file, column });
    const groups = b.classes.filter((_, c) => b.members[c].length);
    const id = new Map(groups.map((g, i) => [g, i]));
    return {
      labels: Uint32Array.from(b.values, (v) => id.get(v)!),
      groups,
      bins: b.classes.map((c, i) => ({ class: c, values: b.members[i] })),
    };
  }
  const groups = [...new Set(raw)].sort();
  const id = new Map(groups.map((g, i) => [g, i]));
  return { labels: Uint32Array.from(raw, (v) => id.get(v)!), groups };
}
