import { FieldCode, fieldError, fields } from '../../errors/codes.ts';
import { commonOptions, type FieldType } from '../field.ts';

export interface GeoPoint {
  lon: number;
  lat: number;
}

function toPoint(raw: unknown): GeoPoint {
  let v = raw;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      v = null;
    }
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const lon = Number(o.lon ?? 0);
    const lat = Number(o.lat ?? 0);
    return { lon: Number.isFinite(lon) ? lon : Number.NaN, lat: Number.isFinite(lat) ? lat : Number.NaN };
  }
  return { lon: 0, lat: 0 };
}

export const geoPointField: FieldType = {
  type: 'geoPoint',
  subPaths: 'json',
  defaults: () => ({ ...commonOptions(), required: false }),
  column: () => ({ kind: 'json', nullable: true }),
  zero: () => ({ lon: 0, lat: 0 }),
  normalize: toPoint,
  validate(value, f) {
    const p = value as GeoPoint;
    if (p.lon === 0 && p.lat === 0) return f.required ? fields.required() : undefined;
    if (!(p.lat >= -90 && p.lat <= 90)) {
      return fieldError(FieldCode.invalidLatitude, 'Latitude must be between -90 and 90 degrees.');
    }
    if (!(p.lon >= -180 && p.lon <= 180)) {
      return fieldError(FieldCode.invalidLongitude, 'Longitude must be between -180 and 180 degrees.');
    }
    return undefined;
  },
  encode: (v) => JSON.stringify(v),
  decode: (raw) => (raw === null || raw === undefined ? { lon: 0, lat: 0 } : toPoint(raw)),
};
