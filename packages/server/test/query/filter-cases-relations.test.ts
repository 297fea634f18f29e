import { assertFilterCases, type FilterCase } from '../support/filter-fixture.ts';

// Single relations, multi-hop paths and back relations (`comments_via_post`), with
// PocketBase's semantics (core/record_field_resolver_runner.go): a missing relation reads as
// empty, a back relation has many values (all of them must match, or any with `?`), and a
// single relation's `.id` is the stored id itself.

const single: FilterCase[] = [
  ["author = 'authann00000001'", ['P1', 'P5']],
  ["author.id = 'authann00000001'", ['P1', 'P5']],
  ["author != 'authann00000001'", ['P2', 'P3', 'P4', 'P6']],
  ["author.id != 'authann00000001'", ['P2', 'P3', 'P4', 'P6']],
  ["author = ''", ['P3']],
  ['author = null', ['P3']],
  ["author != ''", ['P1', 'P2', 'P4', 'P5', 'P6']],
  ['author != null', ['P1', 'P2', 'P4', 'P5', 'P6']],
  ["author.name = 'Ann'", ['P1', 'P5']],
  ["author.name != 'Ann'", ['P2', 'P3', 'P4', 'P6']],
  ["author.name = ''", ['P3']],
  ['author.name = null', ['P3']],
  ["author.name != ''", ['P1', 'P2', 'P4', 'P5', 'P6']],
  ["author.name ~ 'o'", ['P2', 'P6']],
  ["author.name !~ 'o'", ['P1', 'P4', 'P5']],
  ["author.name:lower = 'cy'", ['P4']],
  ["author.name ?= 'Bo'", ['P2', 'P6']],
  ['author.rank > 1', ['P2', 'P4', 'P6']],
  ['author.rank >= 1', ['P1', 'P2', 'P4', 'P5', 'P6']],
  ['author.rank < 2', ['P1', 'P5']],
  ['author.rank != 2', ['P1', 'P3', 'P4', 'P5']],
  ['author.rank = 0', []],
  ["author.country = 'fr'", ['P1', 'P5']],
  ["author.country = ''", ['P3', 'P4']],
  ["author.country != ''", ['P1', 'P2', 'P5', 'P6']],
  ['author.rank < views', ['P1', 'P4', 'P5', 'P6']],
  ['author.rank = views', ['P2']],
  ["author.name = 'Ann' && views > 8", ['P1']],
  ["author.name = 'Ann' || author.name = 'Cy'", ['P1', 'P4', 'P5']],
  ["owner.name = 'Alice'", ['P1', 'P4']],
  ['owner.level > 0', ['P1', 'P2', 'P4']],
  ['owner.level = 0', ['P5']],
  ['owner.verified = true', ['P1', 'P4']],
  ["owner = 'usrbob000000001'", ['P2']],
  ["owner.bestTag.name = 'red'", ['P1', 'P4']],
  ["owner.bestTag = ''", ['P2', 'P3', 'P5', 'P6']],
  // two missing values compare as equal (PocketBase: COALESCE(a, '') = COALESCE(b, ''))
  ['author.name = owner.name', ['P3']],
  ['author.name != owner.name', ['P1', 'P2', 'P4', 'P5', 'P6']],
  ["author.name = '' && owner.name = ''", ['P3']],
];

const multiHop: FilterCase[] = [
  ["author.mentor.name = 'Ann'", ['P2', 'P6']],
  ["author.mentor.name = ''", ['P1', 'P3', 'P5']],
  ["author.mentor.name != ''", ['P2', 'P4', 'P6']],
  ["author.mentor.mentor.name = 'Ann'", ['P4']],
  ["author.mentor.mentor.name != 'Ann'", ['P1', 'P2', 'P3', 'P5', 'P6']],
  ['author.mentor.rank > 1', ['P4']],
  ["author.mentor = ''", ['P1', 'P3', 'P5']],
  ["author.mentor.id = 'authann00000001'", ['P2', 'P6']],
  ["author.mentor.mentor = ''", ['P1', 'P2', 'P3', 'P5', 'P6']],
  ["author.mentor.country = 'fr'", ['P2', 'P6']],
  ["author.mentor.name:lower ~ 'B'", ['P4']],
  ['author.mentor.rank < author.rank', ['P2', 'P4', 'P6']],
];

const backRelations: FilterCase[] = [
  ["comments_via_post.message ?= 'great'", ['P2']],
  ["comments_via_post.message ?~ 'great'", ['P1', 'P2', 'P4']],
  ["comments_via_post.message ~ 'great'", ['P2']],
  ["comments_via_post.message !~ 'great'", []],
  ["comments_via_post.message ?!~ 'great'", ['P1', 'P4']],
  ["comments_via_post.message = 'great'", ['P2']],
  ["comments_via_post.message != 'great'", ['P1', 'P3', 'P4', 'P5', 'P6']],
  ["comments_via_post.message ?!= 'great'", ['P1', 'P3', 'P4', 'P5', 'P6']],
  ['comments_via_post.likes > 0', ['P2']],
  ['comments_via_post.likes ?> 2', ['P1', 'P2']],
  ['comments_via_post.likes ?= 0', ['P1', 'P4']],
  ['comments_via_post.likes != 0', ['P2', 'P3', 'P5', 'P6']],
  ['comments_via_post.likes >= 0', ['P1', 'P2', 'P4']],
  ['comments_via_post.likes ?< 1', ['P1', 'P4']],
  ["comments_via_post.id != ''", ['P1', 'P2', 'P4']],
  ["comments_via_post.id = ''", ['P3', 'P5', 'P6']],
  ["comments_via_post.id ?= ''", ['P3', 'P5', 'P6']],
  ["comments_via_post.id ?= 'comm00000000005'", ['P4']],
  ["comments_via_post.user.name ?= 'Alice'", ['P1', 'P2']],
  ["comments_via_post.user.name = 'Alice'", ['P2']],
  ["comments_via_post.user = ''", ['P3', 'P5', 'P6']],
  ["comments_via_post.user ?= ''", ['P3', 'P4', 'P5', 'P6']],
  ["comments_via_post.post.title ?= 'Future'", ['P4']],
  ['comments_via_post.likes ?> views', ['P2']],
  ['comments_via_post.likes ?< views', ['P1', 'P4']],
  // a value that is missing in some of the records (null) neither passes nor fails an
  // all-of comparison; at least one value must pass (PocketBase: row match + NOT EXISTS)
  ['comments_via_post.meta.score > 2', ['P1', 'P4']],
  ['comments_via_post.meta.score ?> 2', ['P1', 'P4']],
  ['comments_via_post.meta.score ?= 1', ['P2']],
  ['comments_via_post.meta.score < 10', ['P1', 'P2', 'P4']],
  ["links_via_posts.name ?= 'first'", ['P1', 'P2']],
  ["links_via_posts.name = 'first'", ['P2']],
  ["links_via_posts.name ?= 'third'", ['P4']],
  ["links_via_posts.name != 'first'", ['P3', 'P4', 'P5', 'P6']],
  ["links_via_posts.id = ''", ['P3', 'P5', 'P6']],
  ["links_via_posts.name ?~ 'i'", ['P1', 'P2', 'P4']],
  ["links_via_posts.name ~ 'i'", ['P2', 'P4']],
  ["comments_via_post.message ?= 'thanks' && links_via_posts.name ?= 'second'", ['P1']],
  ["comments_via_post.id = '' || links_via_posts.name = 'third'", ['P3', 'P4', 'P5', 'P6']],
];

const fromComments: FilterCase[] = [
  ["post.title = 'Hello World'", ['C1', 'C2']],
  ["post.author.name = 'Ann'", ['C1', 'C2']],
  ["post.author.mentor.name = 'Bo'", ['C4', 'C5']],
  ["post = ''", ['C6']],
  ["post.title = ''", ['C6']],
  ["post.title != ''", ['C1', 'C2', 'C3', 'C4', 'C5']],
  ["post.tags.name ?= 'blue'", ['C4', 'C5']],
  ["post.tags.name = 'red'", ['C3']],
  ['post.views > 5', ['C1', 'C2', 'C4', 'C5']],
  ['user.name = post.owner.name', ['C1']],
  ['user = post.owner', ['C1']],
  ['post.comments_via_post.likes ?> 4', ['C1', 'C2']],
  ["post.comments_via_post.message ?= 'spam'", ['C4', 'C5']],
  ['meta.score > 2', ['C1', 'C5', 'C6']],
  ["user.email = 'alice@example.com'", ['C1', 'C3']],
  ["user.name:lower = 'carol'", ['C5', 'C6']],
  ["post.links_via_posts.name ?= 'second'", ['C1', 'C2']],
];

const fromAuthors: FilterCase[] = [
  ["mentor.name = 'Ann'", ['bo']],
  ["authors_via_mentor.name ?= 'Bo'", ['ann']],
  ["authors_via_mentor.id = ''", ['cy']],
  ["authors_via_mentor.authors_via_mentor.name ?= 'Cy'", ['ann']],
  ["posts_via_author.title ?~ 'hello'", ['ann', 'bo']],
  ['posts_via_author.views > 5', ['ann', 'cy']],
  ["posts_via_author.tags.name ?= 'blue'", ['bo', 'cy']],
  ['posts_via_author.active = true', ['ann', 'cy']],
  ["posts_via_author.comments_via_post.message ?= 'spam'", ['cy']],
];

const fromTags: FilterCase[] = [
  ["posts_via_tags.title ?= 'Future'", ['blue', 'green', 'red']],
  ["posts_via_tags.id = ''", ['unused']],
  ['posts_via_tags.views >= 7', ['blue', 'green']],
  ["users_via_bestTag.name ?= 'Alice'", ['red']],
  ["posts_via_tags.author.name ?= 'Bo'", ['blue', 'red']],
];

assertFilterCases('filter cases: relations', {
  posts: [...single, ...multiHop, ...backRelations],
  comments: fromComments,
  authors: fromAuthors,
  tags: fromTags,
});
