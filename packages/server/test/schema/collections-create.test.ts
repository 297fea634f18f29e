import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { DIALECTS, startTestApp, type TestApp } from '../support/app.ts';

const DATE_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const COMMON_KEYS = [
  'id',
  'listRule',
  'viewRule',
  'createRule',
  'updateRule',
  'deleteRule',
  'name',
  'type',
  'fields',
  'indexes',
  'created',
  'updated',
  'system',
];
const AUTH_KEYS = [
  'authRule',
  'manageRule',
  'authAlert',
  'oauth2',
  'passwordAuth',
  'mfa',
  'otp',
  'authToken',
  'passwordResetToken',
  'emailChangeToken',
  'verificationToken',
  'fileToken',
  'verificationTemplate',
  'resetPasswordTemplate',
  'confirmEmailChangeTemplate',
  'anonymousAuth',
  'passkeyAuth',
];

// PocketBase's auto `id` field (core/collection_model.go initDefaultFields)
const ID_FIELD = {
  autogeneratePattern: '[a-z0-9]{15}',
  help: '',
  hidden: false,
  id: 'text3208210256',
  max: 15,
  min: 15,
  name: 'id',
  pattern: '^[a-z0-9]+$',
  presentable: false,
  primaryKey: true,
  required: true,
  // ForgeBase's addition to text fields (full-text index)
  searchable: false,
  system: true,
  type: 'text',
};

const TITLE_FIELD = {
  autogeneratePattern: '',
  help: '',
  hidden: false,
  id: `text${crc32('title')}`,
  max: 0,
  min: 0,
  name: 'title',
  pattern: '',
  presentable: false,
  primaryKey: false,
  required: false,
  searchable: false,
  system: false,
  type: 'text',
};

for (const dialect of DIALECTS) {
  describe(`creating collections (${dialect})`, () => {
    let t: TestApp;
    const su = { token: 'superuser' };
    const create = (body: Record<string, unknown>) => t.request('POST', '/api/collections', { ...su, body });

    before(async () => {
      t = await startTestApp(dialect);
    });
    after(() => t.close());

    test('creating a base collection returns 200 with PocketBase shape and an auto id field', async () => {
      const res = await create({ name: 'articles', fields: [{ name: 'title', type: 'text' }] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body), COMMON_KEYS);
      assert.match(res.body.created, DATE_RE);
      assert.match(res.body.updated, DATE_RE);
      assert.deepEqual(
        { ...res.body, created: '', updated: '' },
        {
          id: `pbc_${crc32('basearticles')}`,
          listRule: null,
          viewRule: null,
          createRule: null,
          updateRule: null,
          deleteRule: null,
          name: 'articles',
          type: 'base',
          fields: [ID_FIELD, TITLE_FIELD],
          indexes: [],
          created: '',
          updated: '',
          system: false,
        },
      );
      const viewed = await t.request('GET', `/api/collections/${res.body.id}`, su);
      assert.equal(viewed.status, 200);
      assert.deepEqual(viewed.body, res.body);
    });

    test('creating an auth collection adds the system fields, unique indexes and hides secrets', async () => {
      const res = await create({ name: 'members', type: 'auth', fields: [{ name: 'title', type: 'text' }] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const id = `pbc_${crc32('authmembers')}`;
      assert.equal(res.body.id, id);
      assert.deepEqual(Object.keys(res.body), [...COMMON_KEYS, ...AUTH_KEYS]);
      assert.deepEqual(res.body.fields, [
        ID_FIELD,
        TITLE_FIELD,
        {
          cost: 0,
          help: '',
          hidden: true,
          id: 'password901924565',
          max: 0,
          min: 8,
          name: 'password',
          pattern: '',
          presentable: false,
          required: true,
          system: true,
          type: 'password',
        },
        {
          autogeneratePattern: '[a-zA-Z0-9]{50}',
          help: '',
          hidden: true,
          id: 'text2504183744',
          max: 60,
          min: 30,
          name: 'tokenKey',
          pattern: '',
          presentable: false,
          primaryKey: false,
          required: true,
          searchable: false,
          system: true,
          type: 'text',
        },
        {
          exceptDomains: null,
          help: '',
          hidden: false,
          id: 'email3885137012',
          name: 'email',
          onlyDomains: null,
          presentable: false,
          required: true,
          system: true,
          type: 'email',
        },
        {
          help: '',
          hidden: false,
          id: 'bool1547992806',
          name: 'emailVisibility',
          presentable: false,
          required: false,
          system: true,
          type: 'bool',
        },
        {
          help: '',
          hidden: false,
          id: 'bool256245529',
          name: 'verified',
          presentable: false,
          required: false,
          system: true,
          type: 'bool',
        },
      ]);
      assert.deepEqual(res.body.indexes, [
        `CREATE UNIQUE INDEX \`idx_tokenKey_${id}\` ON \`members\` (\`tokenKey\`)`,
        `CREATE UNIQUE INDEX \`idx_email_${id}\` ON \`members\` (\`email\`) WHERE \`email\` != ''`,
      ]);
      assert.equal(res.body.authRule, '');
      assert.equal(res.body.manageRule, null);
      assert.deepEqual(res.body.passwordAuth, { enabled: true, identityFields: ['email'] });
      assert.deepEqual(res.body.authToken, { duration: 432000 });
      assert.deepEqual(res.body.passwordResetToken, { duration: 1800 });
      assert.deepEqual(res.body.emailChangeToken, { duration: 1800 });
      assert.deepEqual(res.body.verificationToken, { duration: 86400 });
      assert.deepEqual(res.body.fileToken, { duration: 180 });
      assert.deepEqual(res.body.oauth2.providers, []);
      assert.doesNotMatch(JSON.stringify(res.body), /secret/i);
      const listed = await t.request('GET', '/api/collections?perPage=1000', su);
      assert.doesNotMatch(JSON.stringify(listed.body), /secret/i);
    });

    test('creating a view collection infers its fields and has no auth keys', async () => {
      const res = await create({
        name: 'article_titles',
        type: 'view',
        listRule: '',
        viewQuery: 'SELECT id, title FROM articles',
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body), [...COMMON_KEYS, 'viewQuery']);
      assert.equal(res.body.viewQuery, 'SELECT id, title FROM articles');
      assert.equal(res.body.listRule, '');
      assert.deepEqual(
        res.body.fields.map((f: { name: string; type: string }) => [f.name, f.type]),
        [
          ['id', 'text'],
          ['title', 'text'],
        ],
      );
      assert.deepEqual(res.body.indexes, []);
    });
  });
}
