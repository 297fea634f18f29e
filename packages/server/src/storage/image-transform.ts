import type { Readable } from 'node:stream';
import { ValidationError } from '../errors/api-error.ts';
import { FieldCode, fieldError } from '../errors/codes.ts';

/** Image types a transform reads. */
export const TRANSFORMABLE = new Set([
  'image/png',
  'image/jpeg',
  'image/jpg',
  'image/webp',
  'image/gif',
  'image/avif',
]);

const FORMATS = ['origin', 'webp', 'avif', 'jpeg', 'png'] as const;
const RESIZES = ['cover', 'contain', 'fill'] as const;
const MAX_SIDE = 2500;

/** An on-the-fly image transform (Supabase's render/image parameters). */
export interface ImageTransform {
  width?: number;
  height?: number;
  resize: (typeof RESIZES)[number];
  format: (typeof FORMATS)[number];
  quality: number;
}

/**
 * Reads `width`, `height`, `resize` (cover | contain | fill), `format` (origin | webp |
 * avif | jpeg | png) and `quality` (20–100) from a query; throws a 400 for bad values.
 */
export function parseTransform(q: Record<string, unknown>): ImageTransform {
  const errors: Record<string, ReturnType<typeof fieldError>> = {};
  const int = (key: string, min: number, max: number): number | undefined => {
    const raw = q[key];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      errors[key] = fieldError(FieldCode.invalidTransform, `Must be a whole number from ${min} to ${max}.`);
      return undefined;
    }
    return n;
  };
  const pick = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const raw = q[key];
    if (raw === undefined || raw === '') return fallback;
    if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
    errors[key] = fieldError(FieldCode.invalidTransform, `Must be one of ${allowed.join(', ')}.`);
    return fallback;
  };
  const width = int('width', 1, MAX_SIDE);
  const height = int('height', 1, MAX_SIDE);
  const out: ImageTransform = {
    resize: pick('resize', RESIZES, 'cover'),
    format: pick('format', FORMATS, 'origin'),
    quality: int('quality', 20, 100) ?? 80,
    ...(width ? { width } : {}),
    ...(height ? { height } : {}),
  };
  if (Object.keys(errors).length > 0) throw new ValidationError('Invalid image transform.', errors);
  return out;
}

/** A stable name for a transform, for its cache key. */
export function transformName(t: ImageTransform): string {
  return `${t.width ?? 0}x${t.height ?? 0}_${t.resize}_${t.format}_q${t.quality}`;
}

/**
 * Streams an image through sharp (loaded on first use: an optional dependency) and
 * returns the transformed bytes. `origin` keeps the source format.
 */
export async function transformImage(
  source: Readable,
  sourceType: string,
  t: ImageTransform,
): Promise<{ data: Buffer; contentType: string }> {
  const sharp = (await import('sharp')).default;
  const pipeline = sharp({ pages: 1 }).rotate();
  source.pipe(pipeline);
  source.on('error', (e) => pipeline.destroy(e));
  if (t.width || t.height) {
    pipeline.resize(t.width ?? null, t.height ?? null, {
      fit: t.resize === 'contain' ? 'inside' : t.resize,
      withoutEnlargement: t.resize === 'contain',
    });
  }
  const origin = sourceType === 'image/jpg' ? 'jpeg' : sourceType.replace('image/', '');
  const format = t.format === 'origin' ? origin : t.format;
  switch (format) {
    case 'webp':
      pipeline.webp({ quality: t.quality });
      break;
    case 'avif':
      pipeline.avif({ quality: t.quality });
      break;
    case 'jpeg':
      pipeline.jpeg({ quality: t.quality });
      break;
    case 'gif':
      pipeline.gif();
      break;
    default:
      pipeline.png();
  }
  const data = await pipeline.toBuffer();
  const contentType =
    format === 'jpeg'
      ? 'image/jpeg'
      : format === 'gif'
        ? 'image/gif'
        : `image/${format === 'webp' || format === 'avif' ? format : 'png'}`;
  return { data, contentType };
}
