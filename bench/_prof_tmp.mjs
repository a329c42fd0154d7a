const t00 = performance.now();
const api = await import('@duckdb/node-api');
const tApi = performance.now();
const P = api.DuckDBConnection.prototype;
const log = [];
for (const name of ['run', 'runAndReadAll', 'runAndRead', 'stream', 'streamAndReadAll']) {
  const orig = P[name];
  if (!orig) continue;
  P[name] = async function (sql, ...rest) {
    const t = performance.now();
    try { return await orig.call(this, sql, ...rest); } finally { log.push([(performance.now() - t) / 1000, String(sql).replace(/\s+/g, ' ').slice(0, 110)]); }
  };
}
const sdk = await import('@m4kit/sdk/node');
const tSdk = performance.now();
const L = ['l1','l2','l3','l4','l5','l6','l7','l8'];
const t0 = performance.now();
const r = await sdk.balanceFileDuckdb(process.argv[2], { attributes: ['race'], labels: L }, { eta: 0.2, out: '/tmp/h2b/q-prof.csv' });
const t1 = performance.now();
console.log('import duckdb', ((tApi - t00) / 1000).toFixed(2), 'import sdk', ((tSdk - tApi) / 1000).toFixed(2), 'balance', ((t1 - t0) / 1000).toFixed(2), 'solver ms', r.report.solver.timeMs.toFixed(0));
let sum = 0;
for (const [s, q] of log) { sum += s; if (s > 0.05) console.log(s.toFixed(2), q); }
console.log('sql total', sum.toFixed(2));
