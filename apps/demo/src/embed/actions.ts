// What the Embed tab does, as changes to its store: fetch the shipped tiny model, read a table (and guess its
// columns), embed (in the worker, with progress and cancel), hand the result to the explorer.
import { parseTableBytes } from '@m4kit/sdk';
import { CancelledError } from '../client';
import { saveHandoff } from '../explorer/handoff';
import type { ExplorerData } from '../explorer/types';
import { request } from './inputs';
import type { EmbedResult, EmbedStage } from './protocol';
import { client, store, type EmbedDone } from './store';

/** the shipped tiny model (random weights, data/clip-tiny/gelu): file URLs by path */
export const TINY = import.meta.glob('../../../../data/clip-tiny/gelu/*', {
  query: '?url',
  import: 'default',
  eager: true,
});

const STAGES: Record<EmbedStage, string> = {
  load: 'loading the model',
  images: 'embedding images',
  captions: 'embedding captions',
  prompts: 'embedding the 319 bias prompts',
  evaluate: 'measuring',
};

export async function loadTiny(): Promise<void> {
  const entries = await Promise.all(
    Object.entries(TINY).map(
      async ([p, url]) => [p.split('/').pop()!, await (await fetch(url as string)).blob()] as const,
    ),
  );
  store.set({ tinyModel: Object.fromEntries(entries) as Record<string, Blob> });
}

export async function loadTable(f: File | undefined): Promise<void> {
  store.set({ table: null });
  if (!f) return;
  try {
    const t = await parseTableBytes(await f.arrayBuffer(), f.name);
    const find = (re: RegExp) => t.columns.find((c) => re.test(c)) ?? '';
    store.set({
      table: {
        name: f.name,
        columns: t.columns,
        rows: t.rows as Record<string, unknown>[],
        guess: {
          file: find(/^(file|image|path|filename)$/i) || t.columns[0],
          caption: find(/^(caption|text|prompt)$/i),
          attribute: find(/^(gender|sex|race|age|attribute|group)$/i),
        },
      },
    });
  } catch (e) {
    store.set({ error: e });
  }
}

export async function embed(): Promise<void> {
  if (store.get().running) return;
  store.set({ error: null, status: 'starting…', last: null });
  try {
    const { req, rows } = request();
    store.set({ running: true, progress: null });
    let result: EmbedResult;
    try {
      result = await client.call<EmbedResult>(req, {
        onProgress: (p) => store.set({ progress: p, status: `${STAGES[p.stage]}: ${p.done} / ${p.total}` }),
      });
    } finally {
      store.set({ running: false });
    }
    const names = req.images.map((i) => i.name);
    store.set({
      last: { result, names, rows, attr: req.attribute?.name ?? null },
      status: `done: ${req.images.length} images embedded`,
    });
  } catch (e) {
    if (e instanceof CancelledError) store.set({ status: 'cancelled: the embedding worker was stopped' });
    else store.set({ error: e });
  }
}

/** What the explorer shows of a result: the images (and captions) grouped by the attribute, 20 prompts labelled. */
function explorerData({ result: r, rows, attr }: EmbedDone): ExplorerData {
  const groupNames: string[] = [];
  const group = Uint32Array.from(rows, (row) => {
    const g = attr ? row[attr]! || 'NA' : 'all';
    if (!groupNames.includes(g)) groupNames.push(g);
    return groupNames.indexOf(g);
  });
  return {
    source: `the Embed tab: ${rows.length} images embedded with ${r.modelFiles.weights}`,
    D: r.dim,
    n: rows.length,
    groupNames,
    group,
    rows,
    images: { before: r.images },
    texts: r.captions ? { before: r.captions } : undefined,
    queries: r.prompts
      ? { names: r.prompts.names.slice(0, 20), before: r.prompts.data.slice(0, 20 * r.dim) }
      : undefined,
  };
}

export async function openExplorer(): Promise<void> {
  const last = store.get().last;
  if (!last) return;
  await saveHandoff(explorerData(last));
  location.href = './explorer.html?from=embed';
}
