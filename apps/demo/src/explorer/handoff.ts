// Embed tab → explorer: the page that embedded images stores what the explorer shows in IndexedDB (same origin,
// nothing leaves the browser) and opens explorer.html?from=embed, which takes it once.
import type { ExplorerData } from './types';

const DB = 'm4kit-handoff';
const KEY = 'explorer';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('data');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB is not available'));
  });
}

async function tx<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = f(db.transaction('data', mode).objectStore('data'));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

export async function saveHandoff(d: ExplorerData): Promise<void> {
  await tx('readwrite', (s) => s.put(d, KEY));
}

/** The data the Embed tab left (removed once read). */
export async function takeHandoff(): Promise<ExplorerData> {
  const d = await tx<ExplorerData | undefined>('readonly', (s) => s.get(KEY) as IDBRequest<ExplorerData | undefined>);
  if (!d) throw new Error('nothing to show: embed images in the Embed tab first, then press "Open in the explorer"');
  await tx('readwrite', (s) => s.delete(KEY));
  return d;
}
