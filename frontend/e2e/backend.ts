import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (frontend/..). */
export const ROOT = resolve(import.meta.dirname, '..', '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const YIDAN = join(ROOT, '.venv', 'bin', 'yidan');

/** A TCP port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

function python(code: string, args: string[] = []): { ok: boolean; out: string } {
  const result = spawnSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { ok: result.status === 0, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

const PG_ADMIN = process.env.E2E_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379/12';

/** Creates a fresh database on the local PostgreSQL; null when none answers (the embedded one is used). */
export function createTestDatabase(name: string): string | null {
  const created = python(
    `import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True, connect_timeout=3) as c:
    c.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')
    c.execute(f'CREATE DATABASE "{sys.argv[2]}"')`,
    [PG_ADMIN, name],
  );
  if (!created.ok) return null;
  const base = PG_ADMIN.replace(/^postgresql:/, 'postgresql+psycopg:').replace(/\/[^/?]*(\?.*)?$/, '');
  return `${base}/${name}`;
}

export function dropTestDatabase(name: string): void {
  python(
    `import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True, connect_timeout=3) as c:
    c.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')`,
    [PG_ADMIN, name],
  );
}

/** The local Redis database for the tests, emptied; null when none answers (the embedded one is used). */
export function prepareRedis(): string | null {
  const flushed = python(
    `import sys, redis
r = redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2)
r.ping(); r.flushdb()`,
    [REDIS_URL],
  );
  return flushed.ok ? REDIS_URL : null;
}

export interface Backend {
  url: string;
  /** The port of the JT/T 808 gateway (`yidan serve` runs it in its simulator child). */
  gatewayPort: number;
  process: ChildProcess;
  dataDir: string;
  database: string | null;
  logFile: string;
  stop: () => Promise<void>;
}

async function waitReady(url: string, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`yidan serve exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`yidan serve did not become ready within ${ms / 1000}s`);
}

/**
 * Where the specs reach the JT/T 808 gateway of the backend under test: E2E_GATEWAY_PORT (global-setup
 * sets it to the port it gave the backend) on E2E_GATEWAY_HOST, by default the host of E2E_BASE_URL.
 */
export function gatewayAddress(): { host: string; port: number } {
  const port = Number(process.env.E2E_GATEWAY_PORT ?? 7808);
  const host = process.env.E2E_GATEWAY_HOST ?? (process.env.E2E_BASE_URL ? new URL(process.env.E2E_BASE_URL).hostname : '127.0.0.1');
  return { host, port };
}

/**
 * Starts the real backend (`yidan serve`, seeded demo data) on an ephemeral port against a fresh
 * database on the local PostgreSQL and Redis db 12 — or the embedded servers when those do not answer —
 * serving the built web app from frontend/dist.
 */
export async function startBackend(logDir: string): Promise<Backend> {
  if (!existsSync(YIDAN)) throw new Error(`${YIDAN} is missing: run \`make install\` first`);
  if (!existsSync(join(ROOT, 'frontend', 'dist', 'index.html'))) throw new Error('frontend/dist is missing: run `npm run build` first');
  const port = await freePort();
  const gatewayPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'yidan-e2e-'));
  const dbName = `yidan_e2e_${process.pid}`;
  const databaseUrl = createTestDatabase(dbName);
  const redisUrl = prepareRedis();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    YIDAN_HOST: '127.0.0.1',
    YIDAN_PORT: String(port),
    YIDAN_PUBLIC_BASE_URL: url,
    YIDAN_GATEWAY_PORT: String(gatewayPort),
    YIDAN_DATA_DIR: dataDir,
    YIDAN_FRONTEND_DIST: join(ROOT, 'frontend', 'dist'),
    // the partner spec sees its webhooks sent by the server's own delivery loop
    YIDAN_WEBHOOKS_DELIVER_IN_APP: 'true',
  };
  if (databaseUrl) env.YIDAN_DATABASE_URL = databaseUrl;
  else delete env.YIDAN_DATABASE_URL;
  if (redisUrl) env.YIDAN_REDIS_URL = redisUrl;
  else delete env.YIDAN_REDIS_URL;
  const logFile = join(logDir, 'backend.log');
  const log = openSync(logFile, 'w');
  const child = spawn(YIDAN, ['serve'], { cwd: ROOT, env, stdio: ['ignore', log, log], detached: true });
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      // The whole group: serve and the embedded servers or localstripe it started.
      try {
        process.kill(-child.pid, 'SIGINT');
      } catch {
        // already gone
      }
      const deadline = Date.now() + 15_000;
      while (child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    if (databaseUrl) dropTestDatabase(dbName);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, databaseUrl ? 120_000 : 240_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; see ${logFile}`);
  }
  return { url, gatewayPort, process: child, dataDir, database: databaseUrl ? dbName : null, logFile, stop };
}
