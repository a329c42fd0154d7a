// File IO for save()/checkpoints, registered by the Node entry so the runtime-neutral entry needs no node:fs.
import { ArgumentError } from '@m4kit/kernels';

/**
 * File IO for checkpoints (registered by the Node entry; absent in browsers).
 */
export interface TrainFileIO {
  /** write atomically (temp + rename) */
  writeFile(path: string, bytes: Uint8Array | string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
}

let io: TrainFileIO | null = null;

/**
 * Register the file IO that checkpoints use (done by `@m4kit/sdk/node`; null unregisters).
 * @param x - the IO functions, or null.
 */
export function setTrainFileIO(x: TrainFileIO | null): void {
  io = x;
}

export function trainFileIO(op: string): TrainFileIO {
  if (!io)
    throw new ArgumentError(`${op}: file IO needs the Node entry (import '@m4kit/sdk/node'); pass bytes instead`);
  return io;
}
