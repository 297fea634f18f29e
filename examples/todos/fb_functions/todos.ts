import { action, BadRequestError, hook, mutation, query, route } from '@forgebase/server/functions';
import { Type } from 'typebox';

/** The caller's open todos (the collection's rules apply: nobody sees another's). */
export const openTodos = query({
  args: Type.Object({ search: Type.Optional(Type.String()) }),
  handler: (ctx, { search }) =>
    ctx.records('todos').list({
      filter: search ? 'done = false && title ~ {:search}' : 'done = false',
      params: { search },
      sort: 'title',
    }),
});

/** Adds a todo for the caller. */
export const add = mutation({
  args: Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }) }),
  handler: (ctx, { title }) => ctx.records('todos').create({ title }),
});

/** Marks todos done, all or none: one transaction. */
export const completeAll = mutation({
  args: Type.Object({ ids: Type.Array(Type.String(), { minItems: 1 }) }),
  handler: async (ctx, { ids }) => {
    for (const id of ids) await ctx.records('todos').update(id, { done: true });
    return { completed: ids.length };
  },
});

/** An action may do what may not run twice (mail, fetch); here it calls the others. */
export const digest = action(async (ctx) => {
  const open = await ctx.run(openTodos, {});
  ctx.log.info('digest', { open: open.totalItems });
  return { greeting: ctx.env.GREETING ?? 'Hello', open: open.items.map((t) => t.title) };
});

/** A route of its own: GET /hello/{name}. */
export const hello = route('GET', '/hello/{name}', (_ctx, req) => ({ hi: req.params.name }));

/** Every new todo belongs to its creator; blank titles are refused. */
export const stamp = hook('todos', 'beforeCreate', (ctx, e) => {
  const title = String(e.record.title ?? '').trim();
  if (!title) throw new BadRequestError('A todo needs a title.');
  e.record.title = title;
  e.record.owner = ctx.auth?.id ?? '';
});

/** Once per committed change, at least once (also after a crash): an activity line. */
export const logActivity = hook('todos', 'afterCommit', async (ctx, e) => {
  await ctx
    .asSystem()
    .records('activity')
    .create({ todo: e.id, note: `${e.action} #${e.seq}` });
});
