// @vitest-environment node
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const frontend = fileURLToPath(new URL('../..', import.meta.url));

/** The arguments of the `gen:api` script, without its output file: one source for how types are made. */
function genApiArguments(): string[] {
  const pkg = JSON.parse(readFileSync(`${frontend}/package.json`, 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts['gen:api']!.split(/\s+/).slice(1);
  const output = words.indexOf('-o');
  if (output >= 0) words.splice(output, 2);
  return words;
}

describe('generated REST types', () => {
  it('match openapi/openapi.json (run `npm run gen:api` after the contract changes)', () => {
    const fresh = execFileSync(process.execPath, ['node_modules/openapi-typescript/bin/cli.js', ...genApiArguments()], {
      cwd: frontend,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const committed = readFileSync(new URL('./schema.d.ts', import.meta.url), 'utf8');
    expect(committed === fresh, 'src/api/schema.d.ts is stale: run `npm run gen:api`').toBe(true);
  });
});
