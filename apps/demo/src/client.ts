// Promise wrapper around the worker; cancel() terminates it (the solver has no yield points to interrupt) and
// starts a fresh one, which the page then re-feeds with the current table.
import type { FromWorker, ToWorker } from './protocol';

type Pending = {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: Extract<FromWorker, { type: 'progress' }>) => void;
};
type Body<T> = T extends unknown ? Omit<T, 'id'> : never;

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

export class WorkerClient {
  private worker!: Worker;
  private next = 1;
  private pending = new Map<number, Pending>();

  constructor() {
    this.start();
  }

  private start(): void {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'm4kit-demo' });
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') p.onProgress?.(m);
      else {
        this.pending.delete(m.id);
        if (m.type === 'ok') p.resolve(m.result);
        else p.reject(Object.assign(new Error(m.message), { code: m.code }));
      }
    };
    this.worker.onerror = (ev) => {
      const err = new Error(`worker failed: ${ev.message || 'unknown error'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  call<R>(
    msg: Body<ToWorker>,
    opts: { transfer?: Transferable[]; onProgress?: Pending['onProgress'] } = {},
  ): Promise<R> {
    const id = this.next++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: opts.onProgress });
      this.worker.postMessage({ ...msg, id } as ToWorker, opts.transfer ?? []);
    });
  }

  /** Stop whatever runs now; every pending call rejects with CancelledError. */
  cancel(): void {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new CancelledError());
    this.pending.clear();
    this.start();
  }
}
