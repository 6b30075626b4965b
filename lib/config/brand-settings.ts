/** Validation of the brand settings (EMAIL_LOGO, EMAIL_ACCENT_COLOUR): each bad value gets one clear reason. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface BrandSettings {
  organisationName?: string;
  logo?: LogoSettings;
  /** #rrggbb, lower case. */
  accentColour?: string;
}

export type LogoSettings =
  { kind: 'url'; url: string } | { kind: 'file'; name: string; contentType: string; contentInBase64: string };

export const MAX_LOGO_BYTES = 100 * 1024;

/** The file's type from its first bytes, not its name. */
function imageType(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (/^GIF8[79]a/.test(bytes.subarray(0, 6).toString('latin1'))) return 'image/gif';
  return undefined;
}

export function readLogo(value: string): LogoSettings | { problem: string } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return { problem: 'is not a valid URL' };
    }
    if (url.protocol !== 'https:') return { problem: 'must be an https:// URL (or a file path)' };
    return { kind: 'url', url: url.toString() };
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(value);
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (bytes.length > MAX_LOGO_BYTES)
    return { problem: `is ${bytes.length} bytes, more than ${MAX_LOGO_BYTES}` };
  const contentType = imageType(bytes);
  if (!contentType) return { problem: 'is not a PNG, JPEG or GIF image' };
  return { kind: 'file', name: basename(value), contentType, contentInBase64: bytes.toString('base64') };
}

/** WCAG relative luminance of an sRGB colour. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** Headings are written in the accent colour on white: it needs a 3:1 contrast (WCAG large text). */
export function accentColour(value: string): { value: string } | { problem: string } {
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(value);
  const hex = short ? `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}` : value;
  if (!/^#[0-9a-f]{6}$/i.test(hex)) return { problem: 'must be a colour written #rrggbb' };
  const contrast = 1.05 / (luminance(hex) + 0.05);
  if (contrast < 3) return { problem: `is too light to read on white (contrast ${contrast.toFixed(1)}:1)` };
  return { value: hex.toLowerCase() };
}
