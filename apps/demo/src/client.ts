// The page's side of the worker protocol (rpc.ts): a promise per call, progress callbacks, and cancel(), which
// terminates the worker (the solvers have no yield points to interrupt) — the next call starts a fresh one, which
// the page then re-feeds with whatever state it needs (the balance tab: its table).
import type { Call, Reply } from './rpc';

type Pending<P> = {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: P) => void;
};

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

export interface CallOptions<P> {
  transfer?: Transferable[];
  onProgress?: (p: P) => void;
}

/**
 * One worker behind promises. `spawn` creates the worker — `new Worker(new URL('./worker.ts', import.meta.url),
 * …)` written at the call site, where Vite sees and bundles it; it runs on the first call and after a cancel.
 */
export class WorkerClient<Req extends { type: string }, P = never> {
  private worker: Worker | null = null;
  private next = 1;
  private pending = new Map<number, Pending<P>>();

  constructor(private readonly spawn: () => Worker) {}

  private start(): Worker {
    const w = this.spawn();
    w.onmessage = (ev: MessageEvent<Reply<P>>) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') p.onProgress?.(m.progress);
      else {
        this.pending.delete(m.id);
        if (m.type === 'ok') p.resolve(m.result);
        else p.reject(Object.assign(new Error(m.message), { code: m.code }));
      }
    };
    w.onerror = (ev) => {
      const err = new Error(`worker failed: ${ev.message || 'unknown error'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    return w;
  }

  call<R>(msg: Req, opts: CallOptions<P> = {}): Promise<R> {
    const id = this.next++;
    this.worker ??= this.start();
    const w = this.worker;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: opts.onProgress });
      w.postMessage({ ...msg, id } satisfies Call<Req>, opts.transfer ?? []);
    });
  }

  /** Stop whatever runs now; every pending call rejects with CancelledError. */
  cancel(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new CancelledError());
    this.pending.clear();
  }
}
