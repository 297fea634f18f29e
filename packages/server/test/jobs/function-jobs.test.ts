import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JobOutcome } from '../../src/jobs/worker-pool.ts';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';
import { createUser, createUsersCollection } from '../support/auth-users.ts';
import { NOT_FOUND } from '../support/expect.ts';
import { functionsDir } from '../support/functions.ts';
import { Inbox } from '../support/realtime.ts';

const MAIL_MODULE = `
import { BadRequestError, hook, job, mutation, query } from '@forgebase/server/functions';

export const sendWelcome = job({ retries: 2, backoff: 'fixed', backoffDelay: 0, timeout: '10s' },
  async (ctx, { personId }: { personId: string }) => {
    await ctx.records('sent').create({ person: personId, job: ctx.job?.id ?? '', attempt: ctx.job?.attempt ?? 0 });
    return { sent: personId };
  });

// its write and its completion commit together
export const audit = job({ transaction: true }, (ctx, { personId }: { personId: string }) =>
  ctx.records('audits').create({ person: personId, job: ctx.job?.id ?? '' }));

export const alwaysFails = job({ retries: 0 }, () => { throw new Error('always'); });

export const signup = mutation(async (ctx, { name, fail, delay }: { name: string; fail?: boolean; delay?: string }) => {
  const person = await ctx.records('people').create({ name });
  await ctx.jobs.enqueue(sendWelcome, { personId: person.id }, { key: person.id, ...(delay ? { delay } : {}) });
  if (fail) throw new BadRequestError('Refused after the enqueue.');
  return person;
});

export const enqueueByName = mutation((ctx, { name, args }: { name: string; args: unknown }) => ctx.jobs.enqueue(name, args));

export const enqueueInQuery = query((ctx) => ctx.jobs.enqueue(sendWelcome, {}));

// inside the write's transaction: a rolled-back write takes the job with it
export const onPerson = hook('people', 'afterCreate', (ctx, e) => ctx.jobs.enqueue(audit, { personId: e.record.id }));
`;

for (const dialect of DIALECTS) {
  describe(`jobs as functions, /api/jobs (${dialect})`, () => {
    let t: TestApp;
    const fns = functionsDir({ 'mail.ts': MAIL_MODULE });
    const outcomes = new Inbox<JobOutcome>();
    before(async () => {
      t = await startTestApp(dialect, { functionsDir: fns.dir });
      t.app.jobs.observe((o) => outcomes.push(o));
      await t.createCollection({ name: 'people', fields: [{ name: 'name', type: 'text' }] });
      await t.createCollection({
        name: 'sent',
        fields: [
          { name: 'person', type: 'text' },
          { name: 'job', type: 'text' },
          { name: 'attempt', type: 'number' },
        ],
      });
      await t.createCollection({
        name: 'audits',
        fields: [
          { name: 'person', type: 'text' },
          { name: 'job', type: 'text' },
        ],
        indexes: ['CREATE UNIQUE INDEX idx_audits_job ON audits (job)'],
      });
    });
    after(async () => {
      await t.close();
      fns.remove();
    });
    const call = (fn: string, body: unknown) =>
      t.request('POST', `/api/functions/${fn}`, { body, token: 'superuser' });
    const jobsOf = async (name: string) =>
      (
        await t.request('GET', `/api/jobs?name=${encodeURIComponent(name)}&perPage=100`, {
          token: 'superuser',
        })
      ).body;
    // outcomes read so far, each matched once, in whatever order the workers finished them
    const seen: JobOutcome[] = [];
    const until = async (id: string, state: string) => {
      for (;;) {
        const at = seen.findIndex((o) => o.id === id && o.state === state);
        if (at >= 0) return seen.splice(at, 1)[0];
        seen.push(await outcomes.next());
      }
    };

    test('a rolled-back mutation enqueues nothing, from its body or its after-hook; a committed one runs both jobs', async () => {
      const refused = await call('mail/signup', { name: 'nobody', fail: true });
      assert.equal(refused.status, 400);
      assert.equal((await jobsOf('mail/sendWelcome')).totalItems, 0);
      assert.equal((await jobsOf('mail/audit')).totalItems, 0);

      const made = await call('mail/signup', { name: 'ann' });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const welcome = (await jobsOf('mail/sendWelcome')).items[0];
      const audit = (await jobsOf('mail/audit')).items[0];
      assert.deepEqual([welcome.args, welcome.key], [{ personId: made.body.id }, made.body.id]);
      await until(welcome.id, 'completed');
      await until(audit.id, 'completed');
      const sent = await t.app.records.asSystem().list('sent', {});
      assert.deepEqual(
        sent.items.map((r) => [r.person, r.job, r.attempt]),
        [[made.body.id, welcome.id, 1]],
      );
      const audits = await t.app.records.asSystem().list('audits', {});
      assert.deepEqual(
        audits.items.map((r) => [r.person, r.job]),
        [[made.body.id, audit.id]],
      );
      const done = await t.request('GET', `/api/jobs/${welcome.id}`, { token: 'superuser' });
      assert.equal(done.status, 200);
      assert.equal(done.body.state, 'completed');
      assert.equal(done.body.attempts, 1);
      assert.deepEqual(done.body.result, { sent: made.body.id });
      assert.match(done.body.finished, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    test('a job that fails after its last retry is a dead letter: listable, retried by the API, deletable', async () => {
      const queued = await call('mail/enqueueByName', { name: 'mail/alwaysFails', args: { n: 1 } });
      assert.equal(queued.status, 200, JSON.stringify(queued.body));
      const { id } = queued.body;
      await until(id, 'dead');
      const dead = await t.request('GET', '/api/jobs?state=dead', { token: 'superuser' });
      assert.equal(dead.status, 200);
      assert.deepEqual(
        dead.body.items.map((j: any) => [j.id, j.state, j.attempts, j.maxAttempts, j.lastError]),
        [[id, 'dead', 1, 1, 'Error: always']],
      );
      assert.deepEqual(
        [dead.body.page, dead.body.perPage, dead.body.totalItems, dead.body.totalPages],
        [1, 30, 1, 1],
      );
      const retried = await t.request('POST', `/api/jobs/${id}/retry`, { token: 'superuser' });
      assert.equal(retried.status, 200);
      assert.deepEqual([retried.body.state, retried.body.attempts], ['queued', 0]);
      await until(id, 'dead');
      const removed = await t.request('DELETE', `/api/jobs/${id}`, { token: 'superuser' });
      assert.equal(removed.status, 204);
      const gone = await t.request('GET', `/api/jobs/${id}`, { token: 'superuser' });
      assert.deepEqual([gone.status, gone.body], [404, { ...NOT_FOUND, message: 'The job was not found.' }]);
      assert.equal((await t.request('DELETE', `/api/jobs/${id}`, { token: 'superuser' })).status, 404);
      assert.equal((await t.request('POST', `/api/jobs/${id}/retry`, { token: 'superuser' })).status, 404);
    });

    test('a pending job cannot be retried; bad filters and callers get 4xx; queries cannot enqueue', async () => {
      const made = await call('mail/signup', { name: 'later', delay: '1h' });
      const pending = (await jobsOf('mail/sendWelcome')).items.find(
        (j: any) => j.args.personId === made.body.id,
      );
      assert.equal(pending.state, 'queued');
      const again = await t.request('POST', `/api/jobs/${pending.id}/retry`, { token: 'superuser' });
      assert.equal(again.status, 400);
      assert.equal(
        again.body.message,
        'Only a failed, dead or completed job can be retried (this one is queued).',
      );
      const bad = await t.request('GET', '/api/jobs?state=stuck', { token: 'superuser' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.message, 'Invalid "state": one of queued, running, completed, failed, dead.');
      assert.equal((await t.request('GET', '/api/jobs?perPage=x', { token: 'superuser' })).status, 400);
      assert.equal((await t.request('GET', '/api/jobs')).status, 401);
      await createUsersCollection(t);
      const user = await createUser(t, 'jobs-user@example.com');
      assert.equal((await t.request('GET', '/api/jobs', { token: user.token })).status, 403);
      assert.equal((await t.request('DELETE', `/api/jobs/${pending.id}`, { token: user.token })).status, 403);
      const inQuery = await call('mail/enqueueInQuery', {});
      assert.equal(inQuery.status, 500);
      const unknown = await call('mail/enqueueByName', { name: 'mail/nope', args: {} });
      assert.equal(unknown.status, 500);
    });

    test('/metrics shows the queue depth by state and the attempts by name and outcome', async () => {
      const res = await t.request('GET', '/metrics', { token: 'superuser' });
      assert.equal(res.status, 200);
      const text = String(res.body);
      const value = (series: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${series} `));
        return line === undefined ? undefined : Number(line.slice(series.length + 1));
      };
      // from the tests above: two welcome jobs completed (one queued for later), one audit
      assert.equal(value('forgebase_jobs{state="queued"}'), 1);
      assert.ok((value('forgebase_jobs{state="completed"}') ?? 0) >= 2);
      assert.equal(value('forgebase_job_runs_total{name="mail/alwaysFails",outcome="dead"}'), 2);
      assert.equal(value('forgebase_job_runs_total{name="mail/sendWelcome",outcome="completed"}'), 1);
      assert.ok((value('forgebase_job_run_seconds_total{name="mail/audit",outcome="completed"}') ?? -1) >= 0);
    });

    test('the jobs API is in the OpenAPI document', async () => {
      const doc = await t.request('GET', '/api/docs/openapi.json');
      for (const path of ['/api/jobs', '/api/jobs/{id}', '/api/jobs/{id}/retry'])
        assert.ok(doc.body.paths[path], path);
    });
  });
}
