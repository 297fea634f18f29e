/**
 * Why a regular expression can backtrack exponentially (ReDoS), or undefined when it
 * cannot: a quantified group that itself holds a quantifier or an alternation, such as
 * `(a+)+`, `(\w*)*`, `(a|aa)+` or `(?:x+y?){2,}`. V8's linear engine (the `l` flag) needs
 * a Node flag, so ForgeBase refuses these shapes instead, as a static check on the
 * pattern's text. A group repeated at most once (`?`, `{1}`) or holding only fixed counts
 * (`(ab{2})+`) cannot blow up and stays allowed; so do quantifiers side by side, whose
 * worst case is polynomial and bounded by the field's max length.
 *
 * @example unsafeRegexReason('^(a+)+$') // 'nested quantifier in "(a+)+"'
 */
export function unsafeRegexReason(pattern: string): string | undefined {
  // per open group: its start, and whether it holds a quantifier or an alternation
  const stack: { start: number; risky: boolean }[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '[') {
      i = classEnd(pattern, i);
      continue;
    }
    if (c === '(') {
      stack.push({ start: i, risky: false });
      i = groupBodyStart(pattern, i);
      continue;
    }
    if (c === '|') {
      const top = stack.at(-1);
      if (top) top.risky = true;
      i++;
      continue;
    }
    if (c === ')') {
      const group = stack.pop();
      i++;
      if (!group) continue;
      const q = quantifierAt(pattern, i);
      if (q.repeats && group.risky) {
        return `nested quantifier in "${pattern.slice(group.start, i + q.length).slice(0, 100)}"`;
      }
      // the group, quantified or not, makes its enclosing group risky as its content does
      const outer = stack.at(-1);
      if (outer && (group.risky || q.variable)) outer.risky = true;
      i += q.length;
      continue;
    }
    const q = quantifierAt(pattern, i);
    if (q.length > 0) {
      const top = stack.at(-1);
      if (top && q.variable) top.risky = true;
      i += q.length;
      continue;
    }
    i++;
  }
  return undefined;
}

/** The index after a group's opening and its `?:`, `?=`, `?<!`, `?<name>` prefix. */
function groupBodyStart(p: string, open: number): number {
  if (p[open + 1] !== '?') return open + 1;
  if (p[open + 2] === '<' && p[open + 3] !== '=' && p[open + 3] !== '!') {
    const close = p.indexOf('>', open + 3);
    return close === -1 ? open + 3 : close + 1;
  }
  return open + (p[open + 2] === '<' ? 4 : 3);
}

/** The index after the character class opening at `start`. */
function classEnd(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === '^') i++;
  if (p[i] === ']') i++;
  while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
  return i + 1;
}

/**
 * The quantifier at `i` (with its lazy `?`): its length (0 when none), whether it can
 * repeat more than once (`*`, `+`, `{n,}`, `{n,m}` with m > 1), and whether the count
 * varies (everything but `{n}`): a varying count inside a repeated group is what lets the
 * engine split one input many ways.
 */
function quantifierAt(p: string, i: number): { length: number; repeats: boolean; variable: boolean } {
  const c = p[i];
  let length = 0;
  let min = 1;
  let max = 1;
  if (c === '*' || c === '+' || c === '?') {
    length = 1;
    min = c === '+' ? 1 : 0;
    max = c === '?' ? 1 : Infinity;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 40));
    if (m) {
      length = m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    }
  }
  if (length && p[i + length] === '?') length++;
  return { length, repeats: max > 1, variable: min !== max };
}
