import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testConfig } from '../support/app.ts';
import { captureLogger } from '../support/log-capture.ts';

describe('logger redaction', () => {
  test('secrets kept at rest never reach the log, at any of the usual depths', () => {
    const { logger, lines } = captureLogger();
    const config = testConfig('sqlite', '/tmp/x', 's', {
      smtpPassword: 'smtp-pw-1',
      s3Secret: 's3-secret-1',
      encryptionKey: 'k'.repeat(32),
      encryptionKeyPrevious: 'p'.repeat(32),
    });
    logger.info({ config }, 'config');
    logger.info({ clientSecret: 'cs-1', provider: { clientSecret: 'cs-2', privateKey: 'pk-1' } }, 'provider');
    logger.info(
      { collection: { oauth2: { clientSecret: 'cs-3' } }, key: { secretAccessKey: 'sak-1' } },
      'deep',
    );
    const text = JSON.stringify(lines);
    for (const secret of [
      'smtp-pw-1',
      's3-secret-1',
      'kkkkkkkk',
      'pppppppp',
      'cs-1',
      'cs-2',
      'cs-3',
      'pk-1',
      'sak-1',
    ])
      assert.ok(!text.includes(secret), `${secret} was logged: ${text}`);
    assert.equal(lines[0]?.config.smtpPassword, '[redacted]');
  });
});
