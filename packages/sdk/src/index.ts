// @m4kit/sdk — runtime-neutral entry (browser, Deno, Node). File IO that needs node:fs lives in ./node.
export * from './selfcheck.js';
