import type { Database } from '../db/database.ts';
import { BadRequestError, ForbiddenError } from '../errors/api-error.ts';
import type { RecordService } from '../records/record-service.ts';
import type { Viewer } from '../rules/viewer.ts';
import { type Collection, SUPERUSERS } from '../schema/collection.ts';
import { type OperatorRole, parseRole, requireCapability, roleOf } from './operator-roles.ts';

/**
 * Superuser records follow the roles whatever path writes them (records API, batch,
 * functions): only an owner or an admin manages superusers, only an owner makes, changes
 * or deletes an owner, and the last owner stays one. The system viewer (CLI, migrations)
 * passes, so `forgebase superuser` can always repair access.
 */
export function guardSuperuserWrites({ db, records }: { db: Database; records: RecordService }): void {
  const owners = async (): Promise<number> => {
    const row = await db.first<{ n: number }>(
      db.qb
        .selectFrom(SUPERUSERS)
        .select((eb) => eb.fn.countAll().as('n'))
        .where((eb) => eb.or([eb('role', '=', ''), eb('role', '=', 'owner'), eb('role', 'is', null)])),
    );
    return Number(row?.n ?? 0);
  };
  const currentRole = async (c: Collection, id: string): Promise<OperatorRole | undefined> => {
    const r = await records.findById(c, id);
    return r ? parseRole(r.role) : undefined;
  };
  const requireOwner = (viewer: Viewer) => {
    const role = roleOf(viewer);
    if (role && role !== 'owner')
      throw new ForbiddenError('Only an owner may make, change or delete an owner.');
  };
  const keepLastOwner = async (viewer: Viewer) => {
    if (roleOf(viewer) && (await owners()) <= 1)
      throw new BadRequestError('The last owner cannot be deleted or given another role.');
  };

  records.hooks.beforeCreate(SUPERUSERS, (e) => {
    requireCapability(e.viewer, 'operate');
    if (parseRole(e.body.role) === 'owner') requireOwner(e.viewer);
  });
  records.hooks.beforeUpdate(SUPERUSERS, async (e) => {
    // a superuser's own account (password, email) is theirs to change
    const self = e.viewer.authId === e.id && e.body.role === undefined;
    if (!self) requireCapability(e.viewer, 'operate');
    const before = await currentRole(e.collection, e.id);
    const after = e.body.role === undefined ? before : parseRole(e.body.role);
    if (before === 'owner' && !self) requireOwner(e.viewer);
    if (after === 'owner' && before !== 'owner') requireOwner(e.viewer);
    if (before === 'owner' && after !== 'owner') await keepLastOwner(e.viewer);
  });
  records.hooks.beforeDelete(SUPERUSERS, async (e) => {
    requireCapability(e.viewer, 'operate');
    if ((await currentRole(e.collection, e.id)) === 'owner') {
      requireOwner(e.viewer);
      await keepLastOwner(e.viewer);
    }
  });
}
