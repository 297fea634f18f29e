import { ApiError } from './api.ts';

/** An API error's field errors as `path: message` lines (`fields.1.name: Cannot be blank.`). */
export function fieldErrorLines(e: unknown): string[] {
  if (!(e instanceof ApiError)) return [];
  const lines: string[] = [];
  const walk = (data: unknown, path: string) => {
    if (!data || typeof data !== 'object') return;
    const d = data as Record<string, unknown>;
    if (typeof d.message === 'string' && typeof d.code === 'string') {
      lines.push(`${path}: ${d.message}`);
      return;
    }
    for (const [k, v] of Object.entries(d)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(e.data, '');
  return lines;
}

/** A message for any failure of a call. */
export function messageOf(e: unknown, fallback: string): string {
  return e instanceof ApiError ? e.message : fallback;
}
