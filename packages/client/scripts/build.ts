import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');

/** The client as one minified ESM file for browsers (and any runtime with fetch + WebSocket). */
export async function bundleClient(): Promise<{ code: string; bytes: number; gzipBytes: number }> {
  const out = await build({
    entryPoints: [join(ROOT, 'src/index.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
  });
  const code = out.outputFiles[0]?.text ?? '';
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length };
}

/** `npm run build` in packages/client: writes `dist/forgebase.min.js`. */
export async function writeBundle(file = join(ROOT, 'dist/forgebase.min.js')): Promise<string> {
  const { code, bytes, gzipBytes } = await bundleClient();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, code);
  process.stdout.write(`${file}: ${bytes} bytes, ${gzipBytes} gzipped\n`);
  return file;
}

if (import.meta.main) await writeBundle();
