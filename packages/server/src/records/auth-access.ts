import { verifyPassword } from '../auth/password.ts';
import type { Viewer } from '../rules/viewer.ts';
import type { Collection } from '../schema/collection.ts';
import { isPasswordValue } from '../schema/fields/password.ts';
import type { RecordValues } from '../schema/record-values.ts';

/**
 * Whether an auth record update's `oldPassword` matches the stored password; only checked
 * when a non-superuser sends a new password (argon2 is slow: run it outside transactions).
 */
export async function oldPasswordMatches(
  c: Collection,
  body: Record<string, unknown>,
  viewer: Viewer,
  load: () => Promise<RecordValues | undefined>,
): Promise<boolean> {
  if (c.type !== 'auth' || viewer.superuser) return false;
  const old = body.oldPassword;
  if (typeof old !== 'string' || old === '') return false;
  if (typeof body.password !== 'string' && typeof body.passwordConfirm !== 'string') return false;
  const record = await load();
  const hash = record && isPasswordValue(record.password) ? record.password.hash : '';
  return hash !== '' && (await verifyPassword(old, hash));
}
