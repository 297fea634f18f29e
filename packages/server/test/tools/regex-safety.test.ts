import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unsafeRegexReason } from '../../src/tools/regex-safety.ts';

test('quantified groups holding a quantifier or an alternation are unsafe', () => {
  for (const p of [
    '^(a+)+$',
    '(a*)*',
    '(\\w+\\s?)*$',
    '(a|aa)+',
    '^(?:x+y?){2,}$',
    '((ab)+c)*',
    '(a{1,3}){2,}',
    '(?<n>[a-z]+)+',
    '(a?a)+',
  ]) {
    assert.ok(unsafeRegexReason(p), p);
  }
});

test('linear shapes stay allowed', () => {
  for (const p of [
    '^[a-z0-9]+$',
    '^\\d{3}-\\d{4}$',
    '^(ab)+$',
    '^(\\+\\d{1,3})?\\d+$',
    '^(a|b)$',
    '^[(+)]+$',
    '\\(a+\\)+',
    '^(?:ab){3}$',
    '^(a+)?$',
    '^usr_[A-Z]{4}\\d{3}$',
  ]) {
    assert.equal(unsafeRegexReason(p), undefined, p);
  }
});
