// Duplicate keys in one JSON object: JSON.parse keeps the last value without a word ({"a":1,"a":2} → {a: 2}),
// so the JSONL readers (read.ts, parse-bytes.ts) look for them after JSON.parse has accepted the text.
// Hand-written rather than a library: on text that JSON.parse has already validated, seeing the keys needs only
// strings and brackets (one linear pass, no tolerant parsing), and it keeps the browser bundle free of a parser.
// No node:* imports (browser, Deno, Node).

/** The first key that one object of `json` names twice, with the keys of the objects around it; else null. */
export function duplicateJsonKey(json: string): { key: string; path: string[] } | null {
  // one frame per open container: objects hold their keys seen so far, arrays null
  const stack: ({ keys: Set<string>; expectKey: boolean; last: string } | null)[] = [];
  const n = json.length;
  for (let i = 0; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      // a string: find its closing quote (skipping escapes)
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = json.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j += 2;
        } else if (d === 0x22 || j >= n) break;
        else j++;
      }
      const top = stack[stack.length - 1];
      if (top?.expectKey) {
        // "\u0061" and "a" are the same key
        const key = escaped ? (JSON.parse(json.slice(i, j + 1)) as string) : json.slice(i + 1, j);
        if (top.keys.has(key)) {
          const path = stack.slice(0, -1).flatMap((f) => (f ? [f.last] : []));
          return { key, path };
        }
        top.keys.add(key);
        top.last = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b) stack.push({ keys: new Set(), expectKey: true, last: '' });
    else if (c === 0x5b) stack.push(null);
    else if (c === 0x7d || c === 0x5d) stack.pop();
    else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = true;
    }
  }
  return null;
}

/** A safetensors header naming a tensor twice (JSON.parse would keep the last entry): the message, or null. */
export function safetensorsDuplicate(headerText: string): string | null {
  const dup = duplicateJsonKey(headerText);
  if (!dup) return null;
  const what = dup.path.length ? `key "${dup.key}" inside "${dup.path.join('" → "')}"` : `tensor name "${dup.key}"`;
  return `${what} appears twice in the safetensors header (the last entry would win silently)`;
}

/** The message of a DataError for a duplicate key; the caller names the file, line and (top level) the column. */
export function duplicateKeyMessage(dup: { key: string; path: string[] }): string {
  const what = dup.path.length
    ? `key ${JSON.stringify(dup.key)} inside ${dup.path.map((k) => JSON.stringify(k)).join(' → ')}`
    : 'the key';
  return (
    `${what} appears twice in one JSON object (JSON.parse would keep the last value silently): ` +
    'each key needs its own name'
  );
}
