import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFixedWindows } from '../../src/tools/fixed-window.ts';
import { findRateLimitRule, rateLimitRuleProblems } from '../../src/tools/rate-limit-rules.ts';
import { createManualClock } from '../support/clock.ts';

const rule = (label: string, audience = '') => ({ label, audience, duration: 1, maxRequests: 1 });

describe('rate limit rules', () => {
  test('an exact label wins over a prefix; labels are tried most specific first', () => {
    const rules = [
      rule('/api/'),
      rule('/api/health'),
      rule('GET /api/health'),
      rule('*:list'),
      rule('posts:list'),
    ];
    const find = (labels: string[], audiences = ['', '@guest']) =>
      findRateLimitRule(rules, labels, audiences)?.label;
    assert.equal(find(['GET /api/health', '/api/health']), 'GET /api/health');
    assert.equal(find(['POST /api/health', '/api/health']), '/api/health');
    assert.equal(find(['GET /api/other', '/api/other']), '/api/');
    assert.equal(find(['posts:list', '*:list', 'GET /x', '/x']), 'posts:list');
    assert.equal(find(['tags:list', '*:list', 'GET /x', '/x']), '*:list');
    assert.equal(find(['GET /x', '/x']), undefined);
    // a prefix rule matches its own path without the trailing slash
    assert.equal(find(['GET /api', '/api']), '/api/');
  });

  test('audience: a rule for signed-in users does not apply to guests', () => {
    const rules = [rule('/api/a', '@auth'), rule('/api/', '@guest')];
    assert.equal(findRateLimitRule(rules, ['GET /api/a', '/api/a'], ['', '@guest'])?.label, '/api/');
    assert.equal(findRateLimitRule(rules, ['GET /api/a', '/api/a'], ['', '@auth'])?.label, '/api/a');
  });

  test('problems: label forms, positive integers, audience, conflicting labels', () => {
    assert.deepEqual(
      rateLimitRuleProblems([rule('/api/'), rule('users:auth'), rule('*:create'), rule('POST /api/x')]),
      [],
    );
    const problems = rateLimitRuleProblems([
      { label: 'bad label!', audience: '', duration: 1, maxRequests: 1 },
      { label: '/a', audience: 'x', duration: 1.5, maxRequests: 0 },
      rule('/a'),
    ]);
    assert.deepEqual(
      problems.map((p) => `${p.index}.${p.field}:${p.kind}`),
      ['0.label:match', '1.duration:min', '1.maxRequests:required', '1.audience:in', '2.label:conflict'],
    );
  });
});

describe('fixed windows', () => {
  test('counts per key within a window, then starts a new one', async () => {
    const clock = createManualClock(0);
    const w = createFixedWindows({ clock });
    assert.deepEqual(w.hit('a', 2, 10), { allowed: true, retryAfter: 10 });
    assert.equal(w.hit('a', 2, 10).allowed, true);
    assert.deepEqual(w.hit('a', 2, 10), { allowed: false, retryAfter: 10 });
    assert.equal(w.hit('b', 2, 10).allowed, true);
    await clock.advance(9500);
    assert.deepEqual(w.hit('a', 2, 10), { allowed: false, retryAfter: 1 });
    await clock.advance(500);
    assert.equal(w.hit('a', 2, 10).allowed, true);
  });

  test('memory is bounded: expired windows go as new ones come, and past maxKeys the oldest', async () => {
    const clock = createManualClock(0);
    const w = createFixedWindows({ clock, maxKeys: 100 });
    for (let i = 0; i < 50; i++) w.hit(`old${i}`, 1, 1);
    await clock.advance(2000);
    for (let i = 0; i < 50; i++) w.hit(`new${i}`, 1, 1);
    assert.equal(w.size, 50);
    for (let i = 0; i < 500; i++) w.hit(`more${i}`, 1, 60);
    assert.equal(w.size, 100);
  });
});
