import { assertFilterCases, type FilterCase } from '../support/filter-fixture.ts';

// JSON fields and paths into them (`data.a.b`, `data.list.0`) and geoPoint props. As in
// PocketBase (core/record_field_resolver_runner.go, dbutils.JSONExtract) a JSON value keeps
// its JSON type: the number 5 and the string "5" differ, `= null` means a missing key or a
// JSON null, and `= ''` means the JSON string "" (no null fallback for JSON).
//
// Data: P1 {a:{b:1}, list:[x,y], n:5, s:"5", flag:true, name:"Alpha"},
//       P2 {a:{b:2}, list:[y], n:10, s:"10", flag:false, name:"beta"}, P3 null,
//       P4 {a:{c:"1"}, list:[], n:7, s:"7", empty:"", nul:null}, P5 "text", P6 [1,2,3].

const ALL = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'] as const;

const paths: FilterCase[] = [
  ['data.a.b = 1', ['P1']],
  ['data.a.b = 2', ['P2']],
  ['data.a.b != 1', ['P2', 'P3', 'P4', 'P5', 'P6']],
  ['data.a.b > 1', ['P2']],
  ['data.a.b >= 1', ['P1', 'P2']],
  ['data.a.b < 2', ['P1']],
  ['data.a.b ?= 1', ['P1']],
  ['1 = data.a.b', ['P1']],
  ["data.a.c = '1'", ['P4']],
  ["data.a.b = '1'", []],
  ['data.a.c = 1', []],
  ['data.a.c != 1', ALL],
  ["data.a ~ 'b'", ['P1', 'P2']],
  ['data.n = 5', ['P1']],
  ["data.n = '5'", []],
  ["data.s = '5'", ['P1']],
  ['data.s = 5', []],
  ['data.n > 6', ['P2', 'P4']],
  ['data.n ?> 6', ['P2', 'P4']],
  ['data.n >= 5', ['P1', 'P2', 'P4']],
  ['data.n < 7', ['P1']],
  ['data.n <= 7', ['P1', 'P4']],
  ['data.n != 5', ['P2', 'P3', 'P4', 'P5', 'P6']],
  ["data.s > '5'", ['P4']],
  ["data.s < '5'", ['P2']],
  ['data.n > views', ['P2']],
  ['data.n < views', ['P1', 'P4']],
  ['data.n = data.n', ALL],
  ['data.n = data.s', ['P3', 'P5', 'P6']],
  ['data.n != data.s', ['P1', 'P2', 'P4']],
  ['data.n > 6 && data.s != "10"', ['P4']],
];

const arrays: FilterCase[] = [
  ["data.list.0 = 'x'", ['P1']],
  ["data.list.0 = 'y'", ['P2']],
  ["data.list.1 = 'y'", ['P1']],
  ['data.list.0 = null', ['P3', 'P4', 'P5', 'P6']],
  ['data.list.0 != null', ['P1', 'P2']],
  ['data.list.5 = null', ALL],
  ["data.list ~ 'x'", ['P1']],
  ["data.list ~ 'y'", ['P1', 'P2']],
  ['data.0 = 1', ['P6']],
  ['data.2 = 3', ['P6']],
  ['data.1 > 1', ['P6']],
  ['data.0 != null', ['P6']],
  ['data.3 = null', ALL],
];

const kinds: FilterCase[] = [
  ['data.flag = true', ['P1']],
  ['data.flag = false', ['P2']],
  ['data.flag != true', ['P2', 'P3', 'P4', 'P5', 'P6']],
  ['data.flag = null', ['P3', 'P4', 'P5', 'P6']],
  ["data.name = 'Alpha'", ['P1']],
  ["data.name = 'alpha'", []],
  ["data.name != 'Alpha'", ['P2', 'P3', 'P4', 'P5', 'P6']],
  ["data.name ~ 'alp'", ['P1']],
  ["data.name ~ 'alp%'", ['P1']],
  ["data.name ~ '%ta'", ['P2']],
  ["data.name !~ 'a'", []],
  ["data.name !~ 'alpha'", ['P2']],
  ["data.name > 'Alpha'", ['P2']],
];

const empties: FilterCase[] = [
  ['data = null', ['P3']],
  ['data != null', ['P1', 'P2', 'P4', 'P5', 'P6']],
  ['null = data', ['P3']],
  ["data = ''", []],
  ["data != ''", ALL],
  ["data.empty = ''", ['P4']],
  ["'' = data.empty", ['P4']],
  ["data.empty != ''", ['P1', 'P2', 'P3', 'P5', 'P6']],
  ['data.empty = null', ['P1', 'P2', 'P3', 'P5', 'P6']],
  ['data.nul = null', ALL],
  ['data.nul != null', []],
  ['data.missing = null', ALL],
  ["data.missing = ''", []],
  ["data.missing != ''", ALL],
  ['data.missing.deeper = null', ALL],
  ["data = 'text'", ['P5']],
  ["data != 'text'", ['P1', 'P2', 'P3', 'P4', 'P6']],
  ["data ~ 'ext'", ['P5']],
  ["data ~ 'tex%'", ['P5']],
  ["data:lower = 'text'", ['P5']],
];

const fromComments: FilterCase[] = [
  ['meta.score = 5', ['C1']],
  ['meta.score = null', ['C2', 'C4']],
  ['meta = null', ['C4']],
  ['meta != null', ['C1', 'C2', 'C3', 'C5', 'C6']],
  ['meta.score ?> 4', ['C1', 'C6']],
  ['meta.score > likes', ['C5', 'C6']],
  ['meta.score = likes', ['C1']],
  ["post.data.name = 'Alpha'", ['C1', 'C2']],
  ['post.data.n > 6', ['C3', 'C4', 'C5']],
  ["post.data.list.0 = 'y'", ['C3']],
  ['place.lat > 45', ['C1']],
  ['place.lon < 0', ['C3']],
  ['place.lat = 0', ['C2', 'C4', 'C5', 'C6']],
  ['place.lat != 0 && place.lon != 0', ['C1', 'C3']],
  ['place.nope = null', ['C1', 'C2', 'C3', 'C4', 'C5', 'C6']],
];

assertFilterCases('filter cases: JSON fields', {
  posts: [...paths, ...arrays, ...kinds, ...empties],
  comments: fromComments,
});
