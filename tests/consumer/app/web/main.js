// (e) A Vite app using the published packages as any web app would.
import { init } from '@m4kit/kernels';
import * as S from '@m4kit/sdk';
import { work } from './work.js';
window.__m4kit = work(init, S).catch((e) => ({ error: String(e?.stack ?? e) }));
