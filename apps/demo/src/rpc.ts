// The one page ↔ worker protocol of the demo (every tab's worker speaks it; client.ts is the page's side).
// The page sends `{ id, type, ...fields }`; the worker answers that id with any number of `progress` messages,
// then one `ok` (the result) or one `error` (message + the M4kitError code). Large arrays travel as
// transferables. Cancel = the page terminates the worker (the solvers have no yield points to interrupt).

/** A request as it travels: the body the caller gave, plus the id the client numbered it with. */
export type Call<Req> = Req & { id: number };

export type Reply<P> =
  | { id: number; type: 'ok'; result: unknown }
  | { id: number; type: 'error'; message: string; code?: string }
  | { id: number; type: 'progress'; progress: P };

/** What a handler gets beside its request: progress for this call, and the result's transferables. */
export interface CallContext<P> {
  progress(p: P): void;
  /** buffers of the result to transfer instead of copy (the handler must not use them afterwards) */
  transfer: Transferable[];
}

type Handlers<Req extends { type: string }, P> = {
  [T in Req['type']]: (msg: Extract<Req, { type: T }>, ctx: CallContext<P>) => unknown;
};

/** The worker's side: one handler per request type; a thrown error becomes the call's `error` reply. */
export function serve<Req extends { type: string }, P = never>(handlers: Handlers<Req, P>): void {
  const scope = self as unknown as Worker;
  const post = (m: Reply<P>, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
  scope.onmessage = async (ev: MessageEvent<Call<Req>>) => {
    const m = ev.data;
    const ctx: CallContext<P> = {
      progress: (progress) => post({ id: m.id, type: 'progress', progress }),
      transfer: [],
    };
    try {
      const handle = handlers[m.type as Req['type']] as (msg: Req, ctx: CallContext<P>) => unknown;
      if (!handle) throw new Error(`unknown request "${m.type}"`);
      const result = await handle(m, ctx);
      post({ id: m.id, type: 'ok', result }, ctx.transfer);
    } catch (e) {
      const err = e as Error & { code?: string };
      post({ id: m.id, type: 'error', message: err?.message ?? String(e), code: err?.code });
    }
  };
}
