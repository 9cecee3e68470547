import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startBackend } from './backend';

export const ARTIFACTS = join(ROOT, 'tests', 'artifacts', 'e2e');

/** Starts one backend for the run; its URL reaches the tests through E2E_BASE_URL. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (process.env.E2E_BASE_URL) return async () => undefined; // a backend given from outside
  const started = Date.now();
  const backend = await startBackend(ARTIFACTS);
  process.env.E2E_BASE_URL = backend.url;
  console.log(`• backend ready at ${backend.url} in ${((Date.now() - started) / 1000).toFixed(1)}s (${backend.database ? 'local PostgreSQL/Redis' : 'embedded servers'})`);
  return backend.stop;
}
