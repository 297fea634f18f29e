import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import {
  createSecretBox,
  newSecretKeyText,
  parseSecretKey,
  type SecretBox,
  SecretKeyError,
} from '../tools/secret-box.ts';

/** The key file made in the data directory when no key is configured. */
export const KEY_FILE = '.encryption_key';

/** A key's text from the key file; made (random, mode 0600) when `create` and missing. */
function keyFileText(dataDir: string, create: boolean): string | undefined {
  const path = join(dataDir, KEY_FILE);
  const fail = (what: string, e: unknown) =>
    new SecretKeyError(
      `no encryption key is configured and ${path} cannot be ${what} (${(e as Error).message}): set FORGEBASE_ENCRYPTION_KEY or --encryptionEnv`,
      { cause: e },
    );
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    // with a key configured the file is only a previous key: unreadable means none
    if (!create) return undefined;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fail('read', e);
  }
  try {
    mkdirSync(dataDir, { recursive: true });
    // `wx`: a process starting at the same moment keeps the key the other one wrote
    writeFileSync(path, `${newSecretKeyText()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fail('written', e);
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw fail('written', e);
  }
}

/**
 * The box that seals secrets at rest, from the configured key (`encryptionEnv` or
 * FORGEBASE_ENCRYPTION_KEY) or else `<dataDir>/.encryption_key` (made on first start),
 * so secrets are never stored in clear. Keys accepted for reading: the previous key
 * (`encryptionKeyPrevious`) and, once a key is configured, the key file's, so values
 * sealed under the default key move to the configured one on start. A malformed key is
 * a SecretKeyError naming where it came from.
 */
export function openSecretBox(config: Config, logger?: Logger): SecretBox {
  const source = config.encryptionEnv ?? 'FORGEBASE_ENCRYPTION_KEY';
  const keys: Buffer[] = [];
  const fileSource = join(config.dataDir, KEY_FILE);
  if (config.encryptionKey) keys.push(parseSecretKey(config.encryptionKey, source));
  const fileText = keyFileText(config.dataDir, keys.length === 0);
  if (fileText !== undefined) {
    const fileKey = parseSecretKey(fileText, fileSource);
    keys.push(fileKey);
    if (keys.length === 1) warnIfReadable(fileSource, logger);
  }
  if (config.encryptionKeyPrevious)
    keys.push(
      parseSecretKey(
        config.encryptionKeyPrevious,
        config.encryptionEnv ? `${config.encryptionEnv}_PREVIOUS` : 'FORGEBASE_ENCRYPTION_KEY_PREVIOUS',
      ),
    );
  if (keys.length === 0) throw new SecretKeyError('no encryption key');
  return createSecretBox(keys);
}

/** The key file should be readable by its owner only (it may have been copied with other modes). */
function warnIfReadable(path: string, logger?: Logger): void {
  try {
    if ((statSync(path).mode & 0o077) !== 0) {
      chmodSync(path, 0o600);
      logger?.warn({ path }, 'the encryption key file was readable by others: its mode is now 0600');
    }
  } catch (err) {
    logger?.warn({ err, path }, 'could not check the mode of the encryption key file');
  }
}

/** One place that keeps sealed secrets: re-seals what the current key did not seal. */
export interface SecretStore {
  /** What it holds, for messages (`_s3_keys secrets`). */
  name: string;
  /**
   * Opens every secret it holds (so a value no configured key opens fails here, at start)
   * and re-seals those that are clear or sealed with a previous key; returns how many.
   */
  reseal(box: SecretBox): Promise<number>;
}

/**
 * Re-seals every store's secrets with the current key (at start and by `forgebase secrets
 * rotate`). A secret no configured key opens stops the start with a message that says
 * which store and what to do, instead of failing requests one by one later.
 */
export async function resealSecrets(
  box: SecretBox,
  stores: readonly SecretStore[],
): Promise<{ name: string; resealed: number }[]> {
  const out: { name: string; resealed: number }[] = [];
  for (const store of stores) {
    try {
      out.push({ name: store.name, resealed: await store.reseal(box) });
    } catch (e) {
      if (!(e instanceof SecretKeyError)) throw e;
      throw new SecretKeyError(
        `${e.message}, in ${store.name}. Start with the key these secrets were sealed with (FORGEBASE_ENCRYPTION_KEY or --encryptionEnv, or the data directory's ${KEY_FILE}); while rotating, give the old key as the previous key (FORGEBASE_ENCRYPTION_KEY_PREVIOUS or <encryptionEnv>_PREVIOUS). Every node of one database needs the same key.`,
        { cause: e },
      );
    }
  }
  return out;
}
