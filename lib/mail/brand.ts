/**
 * The tenant's brand in the notification: its name, its logo and an accent colour. Every value comes from
 * the settings (validated there); without them the email has no header and looks as it always did.
 */
import type { BrandSettings } from '../config/brand-settings';
import { escapeHtmlText } from './i18n';

/** An image sent with the email and shown by `cid:` (clients that block remote images still show it). */
export interface InlineAttachment {
  contentId: string;
  name: string;
  contentType: string;
  contentInBase64: string;
}

export interface Brand {
  organisation?: string;
  accent?: string;
  /** What the <img> shows: an https URL or `cid:<contentId>`. */
  logoSrc?: string;
  inlineLogo?: InlineAttachment;
}

export const LOGO_CONTENT_ID = 'qrn-logo';

export function brandOf(settings: BrandSettings | undefined): Brand {
  if (!settings) return {};
  const brand: Brand = {};
  if (settings.organisationName) brand.organisation = settings.organisationName;
  if (settings.accentColour) brand.accent = settings.accentColour;
  const logo = settings.logo;
  if (logo?.kind === 'url') brand.logoSrc = logo.url;
  if (logo?.kind === 'file') {
    brand.logoSrc = `cid:${LOGO_CONTENT_ID}`;
    brand.inlineLogo = {
      contentId: LOGO_CONTENT_ID,
      name: logo.name,
      contentType: logo.contentType,
      contentInBase64: logo.contentInBase64,
    };
  }
  return brand;
}

const escapeAttribute = escapeHtmlText;

/** The header row: logo and organisation name over a bar in the accent colour; nothing without a brand. */
export function brandHeaderHtml(brand: Brand): string[] {
  if (!brand.organisation && !brand.logoSrc && !brand.accent) return [];
  const bar = brand.accent ? `border-bottom:4px solid ${brand.accent};` : 'border-bottom:1px solid #d0d0d0;';
  const name = brand.organisation ? escapeAttribute(brand.organisation) : '';
  const logo = brand.logoSrc
    ? `<img src="${escapeAttribute(brand.logoSrc)}" alt="${name}" height="40" style="display:block;height:40px;width:auto;max-width:200px;border:0;">`
    : '';
  const title = name && !logo ? `<p style="font-size:18px;font-weight:bold;margin:0;">${name}</p>` : '';
  return [
    `<table role="presentation" width="100%" style="border-collapse:collapse;width:100%;margin:0 0 16px 0;${bar}"><tr><td style="padding:0 0 10px 0;">${logo}${title}</td></tr></table>`,
  ];
}
