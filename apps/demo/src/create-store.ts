// A page's state in one place: views read it with `get()`, actions change it with `set()`, and views re-render in
// `subscribe` (every change) or `watch` (only when one of the named fields changed, compared with ===). Listeners
// run synchronously inside `set`; they render, they do not set.
export interface Store<S extends object> {
  get(): Readonly<S>;
  set(patch: Partial<S>): void;
  subscribe(l: (s: Readonly<S>) => void): () => void;
  watch<K extends keyof S>(keys: readonly K[], l: (s: Readonly<S>) => void): () => void;
}

export function createStore<S extends object>(initial: S): Store<S> {
  let state: Readonly<S> = Object.freeze({ ...initial });
  const listeners = new Set<(s: Readonly<S>, prev: Readonly<S>) => void>();
  const add = (l: (s: Readonly<S>, prev: Readonly<S>) => void) => {
    listeners.add(l);
    return () => void listeners.delete(l);
  };
  return {
    get: () => state,
    set(patch) {
      const prev = state;
      state = Object.freeze({ ...state, ...patch });
      for (const l of listeners) l(state, prev);
    },
    subscribe: (l) => add((s) => l(s)),
    watch: (keys, l) =>
      add((s, prev) => {
        if (keys.some((k) => s[k] !== prev[k])) l(s);
      }),
  };
}
