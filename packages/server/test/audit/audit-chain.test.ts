import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import { entryHash, GENESIS_HASH } from '../../src/audit/audit-chain.ts';
import { type AuditExport, verifyExport } from '../../src/audit/audit-service.ts';
import { DIALECTS, silentLogger, testConfig } from '../support/app.ts';
import { createManualClock } from '../support/clock.ts';
import { testStorage } from '../support/storage.ts';

const DAY = 24 * 60 * 60 * 1000;

/** Appends `n` entries as the system, one transaction each. */
async function appendMany(app: App, n: number, action = 'test.action'): Promise<void> {
  for (let i = 0; i < n; i++) await app.audit.append({ action, target: `t${i}`, data: { i } });
}

for (const dialect of DIALECTS) {
  describe(`audit chain (${dialect})`, () => {
    const storage = testStorage(dialect, 'fb-audit-');
    const keyFile = join(storage.dir, 'audit-ed25519.pem');
    const clock = createManualClock(Date.parse('2026-03-01T00:00:00Z'));
    let app: App;
    before(async () => {
      const { privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      app = await createApp(
        testConfig(dialect, storage.dir, storage.schema, { auditSigningKeyFile: keyFile }),
        {
          logger: silentLogger(),
          clock,
        },
      );
    });
    after(async () => {
      await app.stop();
      await storage.remove();
    });

    /** Restores a clean chain: every entry and checkpoint gone. */
    async function reset(): Promise<void> {
      await app.db.run(app.db.sys.deleteFrom('_audit'));
      await app.db.run(app.db.sys.deleteFrom('_audit_checkpoints'));
    }

    test('entries link by hash from the genesis; verify walks them', async () => {
      await reset();
      const first = await app.audit.append({
        action: 'test.first',
        target: 'x',
        ip: '10.0.0.1',
        data: { a: 1 },
      });
      assert.equal(first.seq, 1);
      assert.equal(first.prevHash, GENESIS_HASH);
      assert.equal(first.hash, entryHash(GENESIS_HASH, first));
      assert.deepEqual(first.actor, { type: 'system', id: '', collection: '' });
      await appendMany(app, 4);
      const r = await app.audit.verify();
      assert.equal(r.ok, true);
      assert.equal(r.count, 5);
      const head = await app.audit.head();
      assert.deepEqual(r.ok && r.head, { seq: 5, hash: head.hash });
    });

    test('secret-looking keys are redacted before they are chained', async () => {
      const e = await app.audit.append({
        action: 'settings.update',
        data: { smtp: { host: 'mail', password: 'hunter2' }, clientSecret: 'cs', enabled: true },
      });
      assert.deepEqual(e.data, {
        smtp: { host: 'mail', password: '***' },
        clientSecret: '***',
        enabled: true,
      });
      const raw = await app.db.first(app.db.sys.selectFrom('_audit').select('data').where('seq', '=', e.seq));
      assert.ok(!JSON.stringify(raw).includes('hunter2'));
    });

    test('an entry altered in the database fails verify, which names it', async () => {
      await reset();
      await appendMany(app, 6);
      await app.db.run(app.db.sys.updateTable('_audit').set({ target: 'forged' }).where('seq', '=', 4));
      const r = await app.audit.verify();
      assert.equal(r.ok, false);
      assert.deepEqual(!r.ok && [r.seq, r.problem], [4, 'altered']);
    });

    test('an altered entry whose hash was recomputed breaks the link of the next one', async () => {
      await reset();
      await appendMany(app, 5);
      const e = (await app.audit.list({ filter: 'seq = 3' })).items[0]!;
      const forged = { ...e, data: { i: 99 } };
      await app.db.run(
        app.db.sys
          .updateTable('_audit')
          .set({ data: JSON.stringify(forged.data), hash: entryHash(e.prevHash, forged) })
          .where('seq', '=', 3),
      );
      const r = await app.audit.verify();
      assert.deepEqual(!r.ok && [r.seq, r.problem], [4, 'unlinked']);
    });

    test('a deleted entry fails verify as missing, by its seq', async () => {
      await reset();
      await appendMany(app, 6);
      await app.db.run(app.db.sys.deleteFrom('_audit').where('seq', '=', 3));
      const r = await app.audit.verify();
      assert.deepEqual(!r.ok && [r.seq, r.problem, r.message], [
        3,
        'missing',
        'entry 3 is missing (the next one is 4)',
      ]);
    });

    test('two entries swapped in place fail verify at the first of them', async () => {
      await reset();
      await appendMany(app, 6);
      // swap the seq of entries 2 and 5 (through a free value: seq is the key)
      await app.db.run(app.db.sys.updateTable('_audit').set({ seq: 1000 }).where('seq', '=', 2));
      await app.db.run(app.db.sys.updateTable('_audit').set({ seq: 2 }).where('seq', '=', 5));
      await app.db.run(app.db.sys.updateTable('_audit').set({ seq: 5 }).where('seq', '=', 1000));
      const r = await app.audit.verify();
      assert.deepEqual(!r.ok && [r.seq, r.problem], [2, 'altered']);
    });

    test('entries cut off the end are caught by the signed head', async () => {
      await reset();
      await appendMany(app, 4);
      const cp = await app.audit.signHead();
      assert.equal(cp?.seq, 4);
      assert.match(cp?.signature ?? '', /^[A-Za-z0-9+/]+=*$/);
      assert.equal(await app.audit.signHead(), undefined, 'an unchanged head is not signed twice');
      assert.equal((await app.audit.verify()).ok, true);
      await app.db.run(app.db.sys.deleteFrom('_audit').where('seq', '>=', 3));
      const r = await app.audit.verify();
      assert.deepEqual(!r.ok && [r.seq, r.problem], [3, 'missing']);
    });

    test('a forged head signature fails verify', async () => {
      await reset();
      await appendMany(app, 3);
      await app.audit.signHead();
      await app.db.run(
        app.db.sys.updateTable('_audit_checkpoints').set({ signature: Buffer.alloc(64).toString('base64') }),
      );
      const r = await app.audit.verify();
      assert.deepEqual(!r.ok && [r.seq, r.problem], [3, 'altered']);
    });

    test('an entry appended in a transaction that rolls back leaves no trace', async () => {
      await reset();
      await appendMany(app, 2);
      await assert.rejects(
        app.db.transaction(async (tx) => {
          await app.audit.append({ action: 'test.rolledBack' }, tx);
          throw new Error('the action failed');
        }),
        /the action failed/,
      );
      await appendMany(app, 1);
      const page = await app.audit.list({});
      assert.deepEqual(
        page.items.map((e) => [e.seq, e.action]),
        [
          [1, 'test.action'],
          [2, 'test.action'],
          [3, 'test.action'],
        ],
      );
      assert.equal((await app.audit.verify()).ok, true);
    });

    test('concurrent appenders, each in its own write transaction, keep the chain linear', async () => {
      await reset();
      const N = 60;
      await Promise.all(
        Array.from({ length: N }, (_, i) =>
          app.db.transaction(async (tx) => {
            await tx.run(app.db.sys.selectFrom('_audit').select('seq').limit(1));
            await app.audit.append({ action: 'test.concurrent', data: { i } }, tx);
          }),
        ),
      );
      const page = await app.audit.list({ perPage: 1000 });
      assert.deepEqual(
        page.items.map((e) => e.seq),
        Array.from({ length: N }, (_, i) => i + 1),
      );
      assert.deepEqual(
        page.items.map((e) => e.data.i).sort((a, b) => Number(a) - Number(b)),
        Array.from({ length: N }, (_, i) => i),
      );
      for (let i = 1; i < N; i++) assert.equal(page.items[i]!.prevHash, page.items[i - 1]!.hash);
      const r = await app.audit.verify();
      assert.deepEqual(r.ok && r.count, N);
    });

    test('an export with signed heads verifies offline, only with the right public key', async () => {
      await reset();
      await appendMany(app, 3);
      await app.audit.signHead();
      await appendMany(app, 2);
      let text = '';
      const sink = new Writable({
        write(chunk, _e, cb) {
          text += String(chunk);
          cb();
        },
      });
      const head = await app.audit.exportTo(sink, { format: 'json' });
      const doc = JSON.parse(text) as AuditExport;
      assert.deepEqual(doc.head, { seq: 5, hash: head?.hash });
      assert.equal(doc.checkpoints.length, 1);
      assert.equal(verifyExport(doc).ok, true);
      const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
      const wrongKey = Buffer.from(String(other.x), 'base64url').toString('base64');
      const r = verifyExport(doc, wrongKey);
      assert.deepEqual(!r.ok && [r.seq, r.problem], [3, 'altered']);
      const cut = { ...doc, entries: doc.entries.slice(0, 4) };
      assert.deepEqual(verifyExport(cut).ok, false);
    });

    test('retention prunes old entries behind a signed checkpoint; the rest still verifies', async () => {
      await reset();
      await appendMany(app, 3, 'test.old');
      await clock.advance(40 * DAY);
      await appendMany(app, 2, 'test.new');
      app.config.auditRetentionDays = 30;
      try {
        assert.equal(await app.audit.prune(), 3);
      } finally {
        app.config.auditRetentionDays = 0;
      }
      const r = await app.audit.verify();
      assert.equal(r.ok, true);
      assert.deepEqual([r.start.seq, r.count], [3, 2]);
      const cps = await app.db.all(app.db.sys.selectFrom('_audit_checkpoints').selectAll());
      assert.deepEqual(
        cps.map((c) => [Number(c.seq), c.kind, c.signature !== '']),
        [[3, 'prune', true]],
      );
      // a checkpoint moved to hide more entries no longer matches the chain
      await app.db.run(app.db.sys.deleteFrom('_audit').where('seq', '=', 4));
      await app.db.run(app.db.sys.updateTable('_audit_checkpoints').set({ seq: 4 }));
      const forged = await app.audit.verify();
      assert.equal(forged.ok, false);
      assert.equal(!forged.ok && forged.seq, 5);
    });
  });
}
