// A distributed engine runs what `m4kit balance --emit-sql clickhouse` prints: two ClickHouse servers (Debian's
// clickhouse-server, started and stopped here) hold one shard each of a table, a `Distributed` table spans them.
// Statement 1 counts patterns across the shards, m4kit balances the counts, statement 2 joins q back on the
// pattern columns and draws keep in SQL. Every row's q must equal the in-process run (≤ 1e-6), keep must be
// identical row by row, and the balanced moments must meet ε per label (q exactly; the kept rows within 4σ of
// their Bernoulli noise). Skips only when clickhouse-server is not installed (CI installs it:
// scripts/setup-system.sh).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { balanceFile } from '@m4kit/sdk/node';
import { createCpuEngine, createSqlRowsEngine, solveBatch, type SqlRows } from '@m4kit/sdk/advanced';

const BIN = ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'].find((p) => existsSync(p));
const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const config = (dir: string, http: number, tcp: number, shards: number[]) => `<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${http}</http_port><tcp_port>${tcp}</tcp_port><listen_host>127.0.0.1</listen_host>
  <path>${dir}/</path><tmp_path>${dir}/tmp/</tmp_path><users_config>users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size>
  <remote_servers><two>${shards.map((p) => `<shard><replica><host>127.0.0.1</host><port>${p}</port></replica></shard>`).join('')}</two></remote_servers>
</yandex>`;
const USERS = `<yandex><profiles><default></default></profiles><quotas><default></default></quotas>
  <users><default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default></users>
</yandex>`;

const eps = { epsRep: 0.01, epsAssoc: 0.005 };
const N = 20011;

describe.skipIf(!BIN)(
  `ClickHouse Distributed over two shards runs the --emit-sql statements${BIN ? '' : ' (SKIPPED: clickhouse-server is not installed; apt-get install clickhouse-server)'}`,
  () => {
    const servers: ChildProcess[] = [];
    const http: number[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'm4kit-ch-'));
    const query = async (i: number, sql: string, body?: string): Promise<string> => {
      const url = `http://127.0.0.1:${http[i]}/` + (body !== undefined ? `?query=${encodeURIComponent(sql)}` : '');
      const r = await fetch(url, { method: 'POST', body: body ?? sql });
      const text = await r.text();
      if (!r.ok) throw new Error(`ClickHouse ${r.status}: ${text.slice(0, 500)}`);
      return text;
    };

    beforeAll(async () => {
      const tcp = [await freePort(), await freePort()];
      http.push(await freePort(), await freePort());
      for (let i = 0; i < 2; i++) {
        const d = join(dir, `s${i}`);
        mkdirSync(d);
        writeFileSync(join(d, 'config.xml'), config(d, http[i], tcp[i], tcp));
        writeFileSync(join(d, 'users.xml'), USERS);
        const p = spawn(BIN!, ['--config-file=config.xml'], { cwd: d, stdio: 'ignore' });
        servers.push(p);
      }
      for (let i = 0; i < 2; i++) {
        for (let t = 0; ; t++) {
          try {
            if ((await (await fetch(`http://127.0.0.1:${http[i]}/ping`)).text()).startsWith('Ok')) break;
          } catch {
            if (t > 150) throw new Error(`clickhouse-server on port ${http[i]} did not start within 30 s`);
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      }
    }, 60_000);

    afterAll(() => {
      for (const p of servers) p.kill('SIGTERM');
    });

    test('per-row passes as SQL over the Distributed table (the rows engine of --engine duckdb): q as in-process', async () => {
      // rows with a utility, so q depends on the row: race (3) × occ (4) → pattern m4_pid = race·4 + occ; one
      // shard per m4_row parity. Each solver pass (and Hessian pass) is one aggregate query over both shards.
      const n = 20011;
      const [m, c, k] = [3, 4, 12];
      let x = 777;
      const r = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296;
      const pid = new Int32Array(n);
      const u = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const race = r() < 0.5 ? 0 : r() < 0.6 ? 1 : 2;
        pid[i] = race * c + Math.min(3, Math.floor(r() * (race === 0 ? 4 : 3.2)));
        u[i] = ((((i * 7919) % 1000) / 1000 - 0.5) * 0.4) as number;
      }
      for (let i = 0; i < 2; i++) {
        await query(
          i,
          'CREATE TABLE rows_local (m4_row Int64, m4_pid Int64, u Float64) ENGINE = MergeTree ORDER BY m4_row',
        );
        const tsv: string[] = [];
        for (let j = i; j < n; j += 2) tsv.push(`${j}\t${pid[j]}\t${u[j]}`);
        await query(i, 'INSERT INTO rows_local FORMAT TSV', tsv.join('\n') + '\n');
      }
      await query(0, 'CREATE TABLE rows_d AS rows_local ENGINE = Distributed(two, default, rows_local, m4_row)');
      const S = new Float64Array(k * m);
      const Y = new Float64Array(k * c);
      for (let p = 0; p < k; p++) {
        S[p * m + Math.floor(p / c)] = 1;
        Y[p * c + (p % c)] = 1;
      }
      const count = new Float64Array(k);
      pid.forEach((p) => count[p]++);
      const pi = [1 / 3, 1 / 3, 1 / 3];
      let queries = 0;
      const runCH: SqlRows = async (sql) => {
        queries++;
        return (await query(0, `${sql} FORMAT JSONEachRow`))
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      };
      const ch = createSqlRowsEngine(runCH, { table: 'rows_d', k, m, c, S, Y, count }, pi);
      // in-process reference: the float64 CPU engine on the same rows
      const Sr = new Float64Array(n * m);
      const Yr = new Float64Array(n * c);
      for (let i = 0; i < n; i++) {
        Sr.set(S.subarray(pid[i] * m, pid[i] * m + m), i * m);
        Yr.set(Y.subarray(pid[i] * c, pid[i] * c + c), i * c);
      }
      const cpu = createCpuEngine({ n, m, c, S: Sr, Y: Yr, u }, pi);
      const opts = { eta: 0.45, epsRep: 0.01, epsAssoc: 0.005, pi };
      const a = await solveBatch(cpu, opts);
      const b = await solveBatch(ch, opts);
      expect(a.status).toBe('optimal');
      expect(b.status).toBe('optimal');
      expect(b.solver.method).toBe('newton');
      expect(queries).toBe(b.solver.passes + b.solver.hessianPasses);
      const qa = await cpu.q(a.W, a.mu, 0.45);
      const qb = await ch.q(b.W, b.mu, 0.45);
      expect(qb.length).toBe(n);
      let worst = 0;
      qa.forEach((q, i) => (worst = Math.max(worst, Math.abs(q - qb[i]))));
      expect(worst).toBeLessThan(1e-6);
      // the moments at the solution, summed by ClickHouse across the shards, as the CPU engine's
      const [sa, sb] = [await cpu.pass(a.W, a.mu, 0.45), await ch.pass(b.W, b.mu, 0.45)];
      expect(sb.sumQ).toBeCloseTo(sa.sumQ, 3);
      sa.D.forEach((v, j) => expect(Math.abs(sb.D[j] - v) / n).toBeLessThan(1e-6));
      cpu.dispose();
      ch.dispose();
    }, 120_000);

    test('pattern count → m4kit → join-back with the keep draw: same q and keep as in-process; ε met per label', async () => {
      // the table: rid, race (3 groups, skewed), occ (4 labels, associated with race); rid % 2 picks the shard
      let x = 12345;
      const r = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296;
      const rows: [number, string, string][] = [];
      for (let i = 0; i < N; i++) {
        const race = r() < 0.5 ? 'w' : r() < 0.6 ? 'b' : 'a';
        rows.push([
          i,
          race,
          ['nurse', 'pilot', 'doctor', 'clerk'][Math.min(3, Math.floor(r() * (race === 'w' ? 4 : 3.2)))],
        ]);
      }
      for (let i = 0; i < 2; i++) {
        await query(i, 'CREATE TABLE ev_local (rid Int64, race String, occ String) ENGINE = MergeTree ORDER BY rid');
        await query(
          i,
          'INSERT INTO ev_local FORMAT TSV',
          rows
            .filter((row) => row[0] % 2 === i)
            .map((row) => row.join('\t'))
            .join('\n') + '\n',
        );
      }
      await query(0, 'CREATE TABLE ev AS ev_local ENGINE = Distributed(two, default, ev_local, rid)');
      expect((await query(0, 'SELECT count() FROM ev')).trim()).toBe(String(N));
      expect((await query(1, 'SELECT count() FROM ev_local')).trim()).toBe(String(N >> 1));

      const args = [
        '-a',
        'race',
        '-l',
        'occ',
        '--eta',
        '0.5',
        '--eps-rep',
        String(eps.epsRep),
        '--eps-assoc',
        String(eps.epsAssoc),
        '--seed',
        '7',
      ];
      const stmt = (out: string) =>
        out
          .split('\n')
          .filter((l) => !l.startsWith('--'))
          .join('\n')
          .trim()
          .replace(/;$/, '');
      // 1. the pattern count, across both shards
      const s1 = await run('node', [CLI, 'balance', 'ev', ...args, '--emit-sql', 'clickhouse']);
      const counts = join(dir, 'patterns.csv');
      writeFileSync(counts, await query(0, `${stmt(s1.stdout)} FORMAT CSVWithNames`));
      // 2. m4kit balances the counts and prints the join-back
      const s2 = await run('node', [
        CLI,
        'balance',
        counts,
        ...args,
        '--counts',
        'n',
        '--emit-sql',
        'clickhouse',
        '--table',
        'ev',
        '--row-id',
        'rid',
      ]);
      expect(s2.stderr).toMatch(/optimal/);
      const joined = (await query(0, `SELECT rid, q, keep FROM (${stmt(s2.stdout)}) ORDER BY rid FORMAT TSV`))
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      // in-process on the same rows (row index = rid)
      const csv = join(dir, 'ev.csv');
      writeFileSync(csv, 'rid,race,occ\n' + rows.map((row) => row.join(',')).join('\n') + '\n');
      const { result } = await balanceFile(
        csv,
        { attributes: ['race'], labels: ['occ'] },
        { eta: 0.5, ...eps, seed: 7 },
      );
      expect(result.report.solver.status).toBe('optimal');
      expect(joined.length).toBe(N);
      let worst = 0;
      let keepDiff = 0;
      joined.forEach(([rid, q, keep], i) => {
        expect(Number(rid)).toBe(i);
        worst = Math.max(worst, Math.abs(Number(q) - result.q[i]));
        keepDiff += Number((keep === '1') !== (result.keep[i] === 1));
      });
      expect(worst).toBeLessThan(1e-6);
      expect(keepDiff).toBe(0);

      // the balanced moments, aggregated by the engine over the shards: (1/N) Σ q (s_k − π_k) y_r per label
      const agg = (
        await query(
          0,
          `SELECT occ, race, sum(q), sum(keep), sum(q * (1 - q)), count() FROM (${stmt(s2.stdout)}) GROUP BY occ, race FORMAT TSV`,
        )
      )
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      const groups = ['a', 'b', 'w'];
      const pi = 1 / 3;
      for (const occ of ['nurse', 'pilot', 'doctor', 'clerk', null]) {
        const cells = agg.filter((a) => occ === null || a[0] === occ);
        for (const k of groups) {
          let cq = 0;
          let ck = 0;
          let v = 0;
          for (const [, race, sq, sk, sv] of cells) {
            const d = (race === k ? 1 : 0) - pi;
            cq += Number(sq) * d;
            ck += Number(sk) * d;
            v += Number(sv) * d * d;
          }
          const tol = occ === null ? eps.epsRep : eps.epsAssoc;
          expect(Math.abs(cq / N)).toBeLessThanOrEqual(tol + 1e-9);
          expect(Math.abs(ck / N)).toBeLessThanOrEqual(tol + (4 * Math.sqrt(v)) / N);
        }
      }
    }, 120_000);
  },
);
