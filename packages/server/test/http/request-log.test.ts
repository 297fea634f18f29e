import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { redactUrl } from '../../src/tools/redact-url.ts';
import { DIALECTS, testConfig } from '../support/app.ts';
import { captureLogger } from '../support/log-capture.ts';
import { type TestStorage, testStorage } from '../support/storage.ts';

// security #14: request lines never carry file tokens, signed-URL tokens or presigned signatures
describe('redactUrl', () => {
  test('credential parameters are redacted, everything else kept as sent', () => {
    assert.equal(redactUrl('/api/health'), '/api/health');
    assert.equal(
      redactUrl('/api/files/c/r/a.png?token=eyJ.x.y&thumb=100x100'),
      '/api/files/c/r/a.png?token=[redacted]&thumb=100x100',
    );
    assert.equal(
      redactUrl(
        '/s3/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F2026&X-Amz-Signature=abc&x-id=GetObject',
      ),
      '/s3/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&x-id=GetObject',
    );
    assert.equal(
      redactUrl('/s3/b/k?AWSAccessKeyId=AK&Signature=s%3D&Expires=1'),
      '/s3/b/k?AWSAccessKeyId=[redacted]&Signature=[redacted]&Expires=1',
    );
    assert.equal(redactUrl('/x?%74oken=secret&flag'), '/x?%74oken=[redacted]&flag');
  });
});

for (const dialect of DIALECTS) {
  describe(`request log (${dialect})`, () => {
    const { logger, lines } = captureLogger();
    let app: App;
    let url: string;
    let storage: TestStorage;
    before(async () => {
      storage = testStorage(dialect);
      app = await createApp(testConfig(dialect, storage.dir, storage.schema, { logRequests: true }), {
        logger,
      });
      url = await app.start();
    });
    after(async () => {
      await app.stop();
      await storage.remove();
    });

    test('file tokens, signed-URL tokens and presigned signatures are redacted in request lines', async () => {
      const paths = [
        '/api/files/users/abc/secret.png?token=FILE-TOKEN-123&thumb=10x10',
        '/api/storage/object/sign/b/a.txt?token=SIGNED-TOKEN-456',
        '/s3/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=CRED-789&X-Amz-Signature=SIG-abc',
      ];
      for (const p of paths) await (await fetch(url + p)).text();
      app.logger.flush();
      await new Promise((r) => setImmediate(r));
      const logged = lines.filter((l) => l.msg === 'request').map((l) => l.url);
      assert.equal(logged.length, 3);
      assert.doesNotMatch(JSON.stringify(lines), /FILE-TOKEN|SIGNED-TOKEN|CRED-789|SIG-abc/);
      assert.ok(
        logged.includes('/api/files/users/abc/secret.png?token=[redacted]&thumb=10x10'),
        String(logged),
      );
    });
  });
}
