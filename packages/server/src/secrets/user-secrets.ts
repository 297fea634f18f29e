import type { Database } from '../db/database.ts';
import { ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';
import { resealRows, type SecretBox } from '../tools/secret-box.ts';
import { nowDate } from '../tools/time.ts';
import type { SecretStore } from './encryption-key.ts';

/** A secret's name: what functions read as `ctx.secrets.NAME` (an identifier). */
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
/** The largest value kept (a key, a token, a PEM certificate fits). */
const MAX_VALUE = 64 * 1024;

/**
 * User secrets for functions (`forgebase secrets set NAME`, read as `ctx.secrets.NAME`):
 * sealed at rest with the app's secret box, re-sealed by key rotation, never listed with
 * their values. `values()` is for the functions runtime only.
 */
export function createUserSecrets({ db, box }: { db: Database; box: SecretBox }) {
  const table = () => db.sys.selectFrom('_user_secrets');
  const checkName = (name: string) => {
    if (!NAME_RE.test(name))
      throw new ValidationError('Invalid secret name.', {
        name: fieldError(
          FieldCode.invalidFormat,
          'A secret name is a letter or _ then letters, digits or _ (at most 100).',
        ),
      });
  };
  const changed = new Set<() => void | Promise<void>>();
  /** Waits for the listeners, so a set or delete has reached them when it returns. */
  const tell = async () => {
    await Promise.all([...changed].map((listener) => listener()));
  };
  return {
    /** Calls (and awaits) `listener` after each set or delete on this node (functions re-read `ctx.secrets`). */
    onChange(listener: () => void | Promise<void>): () => void {
      changed.add(listener);
      return () => changed.delete(listener);
    },
    /** Creates or replaces a secret. */
    async set(name: string, value: string): Promise<void> {
      checkName(name);
      if (value.length > MAX_VALUE)
        throw new ValidationError('Secret too large.', {
          value: fieldError(FieldCode.invalidFormat, `A secret holds at most ${MAX_VALUE} characters.`),
        });
      const now = nowDate();
      const sealed = box.seal(value);
      await db.run(
        db.sys
          .insertInto('_user_secrets')
          .values({ name, value: sealed, created: now, updated: now })
          .onConflict((oc) => oc.column('name').doUpdateSet({ value: sealed, updated: now })),
      );
      await tell();
    },
    /** Deletes a secret; false when there was none. */
    async delete(name: string): Promise<boolean> {
      const gone = (await db.run(db.sys.deleteFrom('_user_secrets').where('name', '=', name))).changes > 0;
      await tell();
      return gone;
    },
    /** The names, sorted (never the values). */
    async names(): Promise<string[]> {
      return (await db.all(table().select('name').orderBy('name'))).map((r) => r.name);
    },
    /** Every secret in clear, by name: for the functions runtime (`ctx.secrets`), never for a response or a log. */
    async values(): Promise<Record<string, string>> {
      const rows = await db.all(table().select(['name', 'value']));
      return Object.fromEntries(rows.map((r) => [r.name, box.open(r.value)]));
    },
    /** The table as a store of sealed secrets (re-sealed at start and by `secrets rotate-key`). */
    secretStore: {
      name: 'the user secrets (_user_secrets)',
      async reseal(current: SecretBox): Promise<number> {
        const rows = await db.all(table().select(['name', 'value']));
        return resealRows(
          current,
          rows,
          (r) => r.value,
          async (r, value) => {
            await db.run(db.sys.updateTable('_user_secrets').set({ value }).where('name', '=', r.name));
          },
        );
      },
    } satisfies SecretStore,
  };
}

export type UserSecrets = ReturnType<typeof createUserSecrets>;
