import PocketBase from 'pocketbase';
import { SUPERUSER_EMAIL, SUPERUSER_PASSWORD, type TestApp } from './app.ts';

/** An SDK client of the test app, signed in as its superuser, with auto-cancellation off. */
export async function superuserClient(t: TestApp): Promise<PocketBase> {
  const pb = new PocketBase(t.url);
  pb.autoCancellation(false);
  await pb.collection('_superusers').authWithPassword(SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
  return pb;
}

/** Waits (at most a minute) until no backup or restore runs: a restore answers 204 before it is done. */
export async function backupsIdle(t: TestApp): Promise<void> {
  const until = Date.now() + 60_000;
  while (t.app.backups.isRunning()) {
    if (Date.now() > until) throw new Error('the backup or restore did not finish');
    await new Promise((r) => setTimeout(r, 20));
  }
}
