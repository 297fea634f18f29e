// The records of the filter-case fixture (test/support/filter-fixture.ts), with fixed ids.
// Dates sit far in the past or the future, so the macro cases do not depend on the day.

/** Record ids by key; the key is what cases expect. */
export const IDS = {
  // users (auth)
  alice: 'usralice0000001',
  bob: 'usrbob000000001',
  carol: 'usrcarol0000001',
  // tags
  red: 'tagred000000001',
  green: 'taggreen0000001',
  blue: 'tagblue00000001',
  unused: 'tagunused000001',
  // authors
  ann: 'authann00000001',
  bo: 'authbo000000001',
  cy: 'authcy000000001',
  // posts
  P1: 'post00000000001',
  P2: 'post00000000002',
  P3: 'post00000000003',
  P4: 'post00000000004',
  P5: 'post00000000005',
  P6: 'post00000000006',
  // comments
  C1: 'comm00000000001',
  C2: 'comm00000000002',
  C3: 'comm00000000003',
  C4: 'comm00000000004',
  C5: 'comm00000000005',
  C6: 'comm00000000006',
  // links
  L1: 'link00000000001',
  L2: 'link00000000002',
  L3: 'link00000000003',
  // notes
  N1: 'note00000000001',
  N2: 'note00000000002',
  N3: 'note00000000003',
  N4: 'note00000000004',
} as const;

/** The users' records (auth): alice shows her email, bob hides it. */
export const USERS = [
  {
    id: IDS.alice,
    email: 'alice@example.com',
    emailVisibility: true,
    verified: true,
    name: 'Alice',
    level: 3,
    bestTag: IDS.red,
  },
  { id: IDS.bob, email: 'bob@example.com', emailVisibility: false, verified: false, name: 'Bob', level: 1 },
  {
    id: IDS.carol,
    email: 'carol@example.com',
    emailVisibility: true,
    verified: false,
    name: 'carol',
    level: 0,
  },
];

export const TAGS = [
  { id: IDS.red, name: 'red', weight: 1 },
  { id: IDS.green, name: 'green', weight: 5 },
  { id: IDS.blue, name: 'blue', weight: 10 },
  { id: IDS.unused, name: 'unused', weight: 0 },
];

export const AUTHORS = [
  { id: IDS.ann, name: 'Ann', rank: 1, country: 'fr', secret: 's-ann' },
  { id: IDS.bo, name: 'Bo', rank: 2, mentor: IDS.ann, country: 'de', secret: 's-bo' },
  { id: IDS.cy, name: 'Cy', rank: 3, mentor: IDS.bo, country: '' },
];

/**
 * Posts: P3 is the "everything empty" record (no author, tags, owner, date, data); P4 and
 * P5 are dated in the future, the others in the past.
 */
export const POSTS = [
  {
    id: IDS.P1,
    title: 'Hello World',
    views: 10,
    score: 1.5,
    active: true,
    status: 'published',
    labels: ['a', 'b'],
    author: IDS.ann,
    tags: [IDS.red, IDS.green],
    owner: IDS.alice,
    published: '2001-02-03 04:05:06.789Z',
    code: '10',
    secret: 'k1',
    note: '100% sure',
    data: { a: { b: 1 }, list: ['x', 'y'], n: 5, s: '5', flag: true, name: 'Alpha' },
  },
  {
    id: IDS.P2,
    title: 'hello again',
    views: 2,
    score: -3,
    active: false,
    status: 'draft',
    labels: ['a'],
    author: IDS.bo,
    tags: [IDS.red],
    owner: IDS.bob,
    published: '1999-12-31 23:59:59.999Z',
    code: '9',
    secret: 'k2',
    note: 'under_score',
    data: { a: { b: 2 }, list: ['y'], n: 10, s: '10', flag: false, name: 'beta' },
  },
  {
    id: IDS.P3,
    title: 'Third Post',
    views: 0,
    score: 0,
    active: false,
    status: 'archived',
    labels: [],
    author: '',
    tags: [],
    owner: '',
    published: '',
    code: '',
    secret: '',
    note: 'back\\slash',
    data: null,
  },
  {
    id: IDS.P4,
    title: 'Future',
    views: 100,
    score: 99.9,
    active: true,
    status: 'published',
    labels: ['c', 'd', 'a'],
    author: IDS.cy,
    tags: [IDS.blue, IDS.green, IDS.red],
    owner: IDS.alice,
    published: '2999-01-01 00:00:00.000Z',
    code: '010',
    secret: 'k4',
    note: 'plain',
    data: { a: { c: '1' }, list: [], n: 7, s: '7', empty: '', nul: null },
  },
  {
    id: IDS.P5,
    title: "it's quoted",
    views: 7,
    score: 7,
    active: true,
    status: '',
    labels: ['b'],
    author: IDS.ann,
    tags: [IDS.green],
    owner: IDS.carol,
    published: '2500-06-15 12:00:00.000Z',
    code: 'abc',
    secret: 'k5',
    note: '50%',
    data: 'text',
  },
  {
    id: IDS.P6,
    title: 'UPPER lower',
    views: 10,
    score: 10,
    active: false,
    status: 'draft',
    labels: ['d'],
    author: IDS.bo,
    tags: [IDS.blue],
    owner: '',
    published: '2000-01-01 00:00:00.000Z',
    code: '10.0',
    secret: 'k6',
    note: 'a_c',
    data: [1, 2, 3],
  },
];

/** Comments: P1 has C1 and C2, P2 has C3, P4 has C4 and C5; C6 points to no post. Only C1 and C3 have a place. */
export const COMMENTS = [
  {
    id: IDS.C1,
    message: 'Great post',
    post: IDS.P1,
    user: IDS.alice,
    likes: 5,
    meta: { score: 5 },
    place: { lon: 2.35, lat: 48.85 },
  },
  { id: IDS.C2, message: 'thanks', post: IDS.P1, user: IDS.bob, likes: 0, meta: {} },
  {
    id: IDS.C3,
    message: 'great',
    post: IDS.P2,
    user: IDS.alice,
    likes: 3,
    meta: { score: 1 },
    place: { lon: -74, lat: 40.7 },
  },
  { id: IDS.C4, message: 'spam', post: IDS.P4, user: '', likes: 0, meta: null },
  { id: IDS.C5, message: 'Great again', post: IDS.P4, user: IDS.carol, likes: 2, meta: { score: 3 } },
  { id: IDS.C6, message: 'orphan', post: '', user: IDS.carol, likes: 1, meta: { score: 9 } },
];

/** Links hold a multi relation to posts (`links_via_posts`) and a hidden one (`hiddenPosts`). */
export const LINKS = [
  { id: IDS.L1, name: 'first', posts: [IDS.P1, IDS.P2], hiddenPosts: [IDS.P3] },
  { id: IDS.L2, name: 'second', posts: [IDS.P1], hiddenPosts: [] },
  { id: IDS.L3, name: 'third', posts: [IDS.P4], hiddenPosts: [IDS.P1] },
];

/** Notes, for `@request.*` in list rules: an owner and a multi relation to users. */
export const NOTES = [
  { id: IDS.N1, title: 'a-note', owner: IDS.alice, shared: [IDS.bob] },
  { id: IDS.N2, title: 'b-note', owner: IDS.bob, shared: [IDS.alice, IDS.carol] },
  { id: IDS.N3, title: 'orphan-note', owner: '', shared: [] },
  { id: IDS.N4, title: 'c-note', owner: IDS.carol, shared: [IDS.alice] },
];
