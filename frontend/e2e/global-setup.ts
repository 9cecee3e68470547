import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startBackend } from './backend';

export const ARTIFACTS = join(ROOT, 'tests', 'artifacts', 'e2e');

/** Starts one backend for the run; its URL and gateway port reach the tests through E2E_BASE_URL and E2E_GATEWAY_PORT. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (process.env.E2E_BASE_URL) return async () => undefined; // a backend given from outside
  const started = Date.now();
  const backend = await startBackend(ARTIFACTS);
  process.env.E2E_BASE_URL = backend.url;
  process.env.E2E_GATEWAY_PORT = String(backend.gatewayPort);
  console.log(`• backend ready at ${backend.url} (JT/T 808 gateway on port ${backend.gatewayPort}) in ${((Date.now() - started) / 1000).toFixed(1)}s (${backend.database ? 'local PostgreSQL/Redis' : 'embedded servers'})`);
  return backend.stop;
}
