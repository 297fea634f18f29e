import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { runForgebase } from '../support/cli.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

test('forgebase --version and -v print the package version, as PocketBase words it', async () => {
  for (const flag of ['--version', '-v']) {
    const res = await runForgebase([flag], tmpdir());
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `forgebase version ${version}\n`);
  }
});
