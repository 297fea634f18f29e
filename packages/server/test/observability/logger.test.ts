import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lazyChildLogger, redactSecrets } from '../../src/observability/logger.ts';
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

describe('lazyChildLogger', () => {
  test('makes the child only when a line is logged at an enabled level, with its bindings', () => {
    const { logger, lines } = captureLogger();
    logger.level = 'warn';
    let made = 0;
    const parent = new Proxy(logger, {
      get(target, key, receiver) {
        if (key === 'child')
          return (...args: Parameters<typeof logger.child>) => {
            made++;
            return target.child(...args);
          };
        return Reflect.get(target, key, receiver);
      },
    });
    const child = lazyChildLogger(parent, { reqId: 'r-1' });
    child.info('not at this level');
    child.debug({ a: 1 }, 'nor this');
    assert.equal(made, 0);
    assert.equal(child.level, 'warn');
    child.warn({ user: { password: 'p-1' } }, 'logged');
    child.error('again');
    assert.equal(made, 1);
    const logged = lines.filter((l) => l.reqId === 'r-1').map((l) => [l.msg, l.user?.password]);
    assert.deepEqual(logged, [
      ['logged', '[redacted]'],
      ['again', undefined],
    ]);
  });
});

describe('redactSecrets', () => {
  test('errors keep their message, stack and type; a secret inside one is censored', () => {
    const { logger, lines } = captureLogger();
    const err = Object.assign(new TypeError('boom'), { config: { smtpPassword: 'smtp-pw-2' }, code: 'E_X' });
    logger.error({ err }, 'failed');
    logger.error({ err: new Error('plain') }, 'failed too');
    const [first, second] = lines;
    assert.equal(first?.err.message, 'boom');
    assert.equal(first?.err.type, 'TypeError');
    assert.equal(first?.err.code, 'E_X');
    assert.match(first?.err.stack, /TypeError: boom/);
    assert.equal(first?.err.config.smtpPassword, '[redacted]');
    assert.equal(err.config.smtpPassword, 'smtp-pw-2', 'the logged object itself is not changed');
    assert.equal(second?.err.message, 'plain');
  });

  test('headers and arrays are searched; an object without secrets is passed as it is', () => {
    const { logger, lines } = captureLogger();
    logger
      .child({ reqId: 'r-2' })
      .info({ req: { headers: { authorization: 'Bearer abc' } }, list: [{ password: 'p-2' }, 'ok'] }, 'x');
    const [line] = lines;
    assert.equal(line?.reqId, 'r-2');
    assert.equal(line?.req.headers.authorization, '[redacted]');
    assert.deepEqual(line?.list, [{ password: '[redacted]' }, 'ok']);
    const clean = { method: 'GET', nested: { url: '/x' } };
    assert.equal(redactSecrets(clean), clean);
  });
});
