import { DuckDBInstance } from '@duckdb/node-api';
const ks = 'race,l1,l2,l3,l4,l5,l6,l7,l8';
const scan = `read_csv('/tmp/eng25b/census.csv', all_varchar=true)`;
async function run(name, f) {
  const db = await DuckDBInstance.create(':memory:', { preserve_insertion_order: 'true' }); const con = await db.connect();
  await con.run(`CREATE TEMP TABLE m4_raw AS SELECT hash(${ks}) AS m4_h FROM ${scan}`);
  await con.run(`CREATE TEMP TABLE m4_g AS SELECT m4_h, COUNT(*) n, MIN(rowid) f FROM m4_raw GROUP BY ALL`);
  const c0 = process.cpuUsage(); const t = performance.now();
  const r = await f(con);
  const c = process.cpuUsage(c0);
  console.log(name, (performance.now() - t).toFixed(0), 'ms wall', ((c.user + c.system) / 1000).toFixed(0), 'ms cpu', JSON.stringify(r, (k,v)=>typeof v==='bigint'?Number(v):v));
  con.closeSync(); db.closeSync();
}
const q = (con, s) => con.runAndReadAll(s).then((r) => r.getRowObjects());
const mode = process.argv[2];
if (mode === '1' || mode === '2') await run('limit threads=' + (mode === '1' ? 1 : 'all'), async (con) => {
  const head = Number((await q(con, 'SELECT max(f) m FROM m4_g'))[0].m) + 1;
  if (mode === '1') await con.run('SET threads = 1');
  return q(con, `SELECT count(*) k FROM (SELECT hash(${ks}) h, first(race) FROM (SELECT ${ks} FROM ${scan} LIMIT ${head}) GROUP BY h)`);
});
if (mode === '3') await run('full parallel any_value', async (con) =>
  q(con, `SELECT count(*) k, bool_and(ok) ok FROM (SELECT hash(${ks}) h, min(race)=max(race) ok, ${ks.split(',').map(c=>`any_value(${c})`).join(',')} FROM ${scan} GROUP BY h)`));
if (mode === '4') await run('full parallel group by keys', async (con) =>
  q(con, `SELECT count(*) k FROM (SELECT ${ks}, hash(${ks}) h FROM ${scan} GROUP BY ALL)`));
