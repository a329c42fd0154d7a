// DOM helpers shared by the panels: element lookup, the number display rule, keyed table cells, error boxes,
// downloads.
export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** The page's display rule for numbers (tests/e2e/demo.e2e.mjs has the same one). */
export function fmt(x: unknown): string {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) return '—';
    if (Number.isInteger(x)) return String(x);
    if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
    return x.toFixed(4);
  }
  if (x === null || x === undefined) return '—';
  return String(x);
}

/** A table cell; with `key` it carries the report key and raw value the e2e test compares with the CLI. */
export function cell(tag: 'td' | 'th', text: string, key?: string, value?: unknown): HTMLTableCellElement {
  const c = document.createElement(tag);
  c.textContent = text;
  if (tag === 'th') c.scope = 'row';
  if (key !== undefined) {
    c.dataset.key = key;
    c.dataset.value = typeof value === 'number' ? String(value) : JSON.stringify(value ?? null);
  }
  return c;
}

/** A header row of column titles. */
export function headerRow(titles: string[]): HTMLTableRowElement {
  const hr = document.createElement('tr');
  for (const h of titles) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    hr.append(th);
  }
  return hr;
}

/** Shows an error in the box `id`; null hides it. */
export function showError(id: string, e: unknown): void {
  const el = $(id);
  if (e === null) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  const err = e as Error & { code?: string };
  el.textContent = err?.message ?? String(e);
  el.hidden = false;
}

export const selected = (id: string) => Array.from(($(id) as HTMLSelectElement).selectedOptions, (o) => o.value);

export function save(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const stem = (n: string) => n.replace(/\.[^.]+$/, '');
