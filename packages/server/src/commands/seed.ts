import type { Command } from 'commander';
import type { App } from '../app.ts';
import { configFrom, withApp } from './common.ts';

/** The demo users `forgebase seed` creates; they sign in with DEMO_PASSWORD. */
export const DEMO_USERS = [
  { email: 'alice@example.com', name: 'Alice' },
  { email: 'bob@example.com', name: 'Bob' },
  { email: 'carol@example.com', name: 'Carol' },
];
export const DEMO_PASSWORD = 'demo-password-123';

const TOPICS = ['Getting started', 'Rules', 'Realtime', 'Files', 'Backups', 'Migrations'];

/** What one seed run made (the rest already existed). */
export interface SeedResult {
  collections: string[];
  users: string[];
  posts: number;
}

/**
 * Creates what is missing of the demo: a `users` auth collection (sign-up open, each user
 * sees and edits only itself), a `posts` collection (published posts public, drafts and
 * writes for their author), three demo users and two posts per topic. Through the
 * collection and record services, so rules, hooks, migrations and the change log see it.
 */
export async function seedDemo(app: App): Promise<SeedResult> {
  const made: SeedResult = { collections: [], users: [], posts: 0 };
  let users = app.collections.find('users');
  if (!users) {
    users = await app.collections.create({
      name: 'users',
      type: 'auth',
      listRule: 'id = @request.auth.id',
      viewRule: 'id = @request.auth.id',
      createRule: '',
      updateRule: 'id = @request.auth.id',
      deleteRule: 'id = @request.auth.id',
      fields: [{ name: 'name', type: 'text', max: 100 }],
    });
    made.collections.push('users');
  }
  if (!app.collections.find('posts')) {
    const own = 'author = @request.auth.id';
    await app.collections.create({
      name: 'posts',
      type: 'base',
      listRule: `published = true || ${own}`,
      viewRule: `published = true || ${own}`,
      createRule: `@request.auth.id != "" && @request.body.author = @request.auth.id`,
      updateRule: own,
      deleteRule: own,
      fields: [
        { name: 'title', type: 'text', required: true, max: 200 },
        { name: 'body', type: 'editor' },
        { name: 'author', type: 'relation', collectionId: users.id, maxSelect: 1, required: true },
        { name: 'published', type: 'bool' },
        { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
        { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
      ],
    });
    made.collections.push('posts');
  }
  const system = app.records.asSystem();
  const ids: string[] = [];
  for (const u of DEMO_USERS) {
    const existing = await app.records.findByField(users, 'email', u.email);
    if (existing) {
      ids.push(String(existing.id));
      continue;
    }
    const created = await system.create('users', {
      email: u.email,
      name: u.name,
      password: DEMO_PASSWORD,
      passwordConfirm: DEMO_PASSWORD,
      verified: true,
    });
    ids.push(String(created.id));
    made.users.push(u.email);
  }
  const posts = app.collections.get('posts');
  // an existing posts collection of another shape is left alone
  if (!(await app.records.hasAny(posts)) && posts.fields.some((f) => f.name === 'author')) {
    for (const [i, topic] of TOPICS.entries()) {
      for (const draft of [false, true]) {
        await system.create('posts', {
          title: draft ? `${topic}: notes (draft)` : topic,
          body: `<p>A sample post about ${topic.toLowerCase()}.</p>`,
          author: ids[(i + Number(draft)) % ids.length],
          published: !draft,
        });
        made.posts++;
      }
    }
  }
  return made;
}

/** `forgebase seed`: FerriteDB's onboarding data, created where missing. */
export function registerSeedCommand(program: Command): void {
  program
    .command('seed')
    .description('create demo data where missing: users and posts collections, three users, sample posts')
    .option('--json', 'print what was created as JSON')
    .action(async (o: { json?: boolean }, c: Command) => {
      await withApp(configFrom(c), async (app) => {
        const made = await seedDemo(app);
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ ...made, password: DEMO_PASSWORD })}\n`);
          return;
        }
        const lines = [
          made.collections.length
            ? `Created collections: ${made.collections.join(', ')}.`
            : 'Collections users and posts exist.',
          made.users.length
            ? `Created users (password ${DEMO_PASSWORD}): ${made.users.join(', ')}.`
            : 'Demo users exist.',
          made.posts ? `Created ${made.posts} posts.` : 'Posts exist: none added.',
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });
}
