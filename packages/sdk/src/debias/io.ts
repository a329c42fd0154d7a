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
