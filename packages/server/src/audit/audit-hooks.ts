import type { RecordService } from '../records/record-service.ts';
import { SUPERUSERS } from '../schema/collection.ts';
import type { RecordValues } from '../schema/record-values.ts';
import type { AuditService } from './audit-service.ts';

/** The account fields whose change is audited (never their values when secret). */
const WATCHED = ['email', 'role', 'password', 'verified'] as const;

function changed(prev: RecordValues, next: RecordValues): string[] {
  return WATCHED.filter((k) => k in next && prev[k] !== next[k]);
}

/**
 * Audit entries for account changes, appended inside the write's transaction (record
 * after-hooks): superusers made, changed (which fields, the role's new value) or
 * deleted; the password or email of any auth record changed. The actor is the write's
 * viewer; the IP the request's.
 */
export function auditAccountChanges({
  records,
  audit,
}: {
  records: RecordService;
  audit: AuditService;
}): void {
  const target = (c: { name: string }, r: RecordValues) => `${c.name}/${String(r.id)}`;
  records.hooks.afterCreate(SUPERUSERS, async (e) => {
    await audit.append(
      {
        action: 'superuser.create',
        actor: e.viewer,
        target: target(e.collection, e.record),
        data: { email: e.record.email, role: e.record.role || 'owner' },
      },
      e.tx,
    );
  });
  records.hooks.afterDelete(SUPERUSERS, async (e) => {
    await audit.append(
      {
        action: 'superuser.delete',
        actor: e.viewer,
        target: target(e.collection, e.record),
        data: { email: e.record.email },
      },
      e.tx,
    );
  });
  records.hooks.afterUpdate('*', async (e) => {
    if (e.collection.type !== 'auth') return;
    const fields = changed(e.previous, e.record);
    if (!fields.length) return;
    const t = target(e.collection, e.record);
    if (e.collection.name === SUPERUSERS) {
      await audit.append(
        {
          action: 'superuser.update',
          actor: e.viewer,
          target: t,
          data: { fields, ...(fields.includes('role') ? { role: e.record.role || 'owner' } : {}) },
        },
        e.tx,
      );
      return;
    }
    if (fields.includes('password'))
      await audit.append({ action: 'auth.passwordChange', actor: e.viewer, target: t }, e.tx);
    if (fields.includes('email'))
      await audit.append(
        {
          action: 'auth.emailChange',
          actor: e.viewer,
          target: t,
          data: { from: e.previous.email, to: e.record.email },
        },
        e.tx,
      );
  });
}
