import { DuckDBInstance } from '@duckdb/node-api';
const ks = 'race,l1,l2,l3,l4,l5,l6,l7,l8';
const scan = `read_csv('/tmp/eng25b/census.csv', all_varchar=true)`;
const mode = process.argv[2];
const db = await DuckDBInstance.create(':memory:', { preserve_insertion_order: 'true' }); const con = await db.connect();
const q = (s) => con.runAndReadAll(s).then((r) => r.getRowObjects());
const c0 = process.cpuUsage(); const t = performance.now();
if (mode === '0') {
  await con.run(`CREATE TEMP TABLE m4_raw AS SELECT hash(${ks}) AS m4_h FROM ${scan}`);
  await con.run(`CREATE TEMP TABLE m4_g AS SELECT m4_h, COUNT(*) n, MIN(rowid) f FROM m4_raw GROUP BY ALL`);
  const head = Number((await q('SELECT max(f) m FROM m4_g'))[0].m) + 1;
  await con.run('SET threads = 1');
  await q(`SELECT count(*) k FROM (SELECT hash(${ks}) h, first(race) FROM (SELECT ${ks} FROM ${scan} LIMIT ${head}) GROUP BY h)`);
} else if (mode === '1') {
  await con.run(`CREATE TEMP TABLE m4_raw AS SELECT hash(${ks}) AS m4_h, ${ks} FROM ${scan}`);
  await con.run(`CREATE TEMP TABLE m4_g AS SELECT m4_h, COUNT(*) n, MIN(rowid) f, ${ks.split(',').map(c=>`any_value(${c}) ${c}`).join(',')} FROM m4_raw GROUP BY ALL`);
} else if (mode === '2') {
  // keys of each row in one list column
  await con.run(`CREATE TEMP TABLE m4_raw AS SELECT hash(${ks}) AS m4_h, [${ks}] k FROM ${scan}`);
  await con.run(`CREATE TEMP TABLE m4_g AS SELECT m4_h, COUNT(*) n, MIN(rowid) f, any_value(k) k FROM m4_raw GROUP BY ALL`);
}
const c = process.cpuUsage(c0);
const rss = process.resourceUsage().maxRSS;
console.log(mode, (performance.now() - t).toFixed(0), 'ms wall', ((c.user + c.system) / 1000).toFixed(0), 'ms cpu', rss, 'KB maxrss');
