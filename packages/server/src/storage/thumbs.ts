/** Image types a thumb can be made of (PocketBase's list). */
export const THUMB_SOURCE_TYPES = ['image/png', 'image/jpg', 'image/jpeg', 'image/gif', 'image/webp'];

const SIZE_RE = /^(\d+)x(\d+)(t|b|f)?$/;

// sharp is an optional dependency with a native part: loaded on the first thumb only
const loadSharp = async () => (await import('sharp')).default;

/**
 * Makes a thumb like PocketBase: `WxH` crops from the center, `WxHt`/`WxHb` from the
 * top/bottom, `WxHf` fits inside without cropping or enlarging, `0xH`/`Wx0` keep the
 * aspect ratio. Only the first frame of an animation is used. JPEG and GIF stay as they
 * are; everything else becomes PNG.
 */
export async function makeThumb(
  original: Buffer,
  size: string,
  contentType: string,
): Promise<{ data: Buffer; contentType: string }> {
  const m = SIZE_RE.exec(size);
  if (!m) throw new Error('thumb size must be in WxH, WxHt, WxHb or WxHf format');
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width === 0 && height === 0) throw new Error('thumb width and height cannot be zero at the same time');
  const sharp = await loadSharp();
  let img = sharp(original, { pages: 1 }).rotate();
  if (width === 0 || height === 0) {
    img = img.resize(width || null, height || null);
  } else if (m[3] === 'f') {
    img = img.resize(width, height, { fit: 'inside', withoutEnlargement: true });
  } else {
    const position = m[3] === 't' ? 'top' : m[3] === 'b' ? 'bottom' : 'centre';
    img = img.resize(width, height, { fit: 'cover', position });
  }
  if (contentType === 'image/jpeg' || contentType === 'image/jpg')
    return { data: await img.jpeg().toBuffer(), contentType: 'image/jpeg' };
  if (contentType === 'image/gif') return { data: await img.gif().toBuffer(), contentType: 'image/gif' };
  return { data: await img.png().toBuffer(), contentType: 'image/png' };
}
