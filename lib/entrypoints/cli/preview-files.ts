/**
 * What `qrn preview` writes: the notification a sender would receive, as an .eml file (the exact MIME
 * message, inline logo included) and an .html file (the HTML part, the logo embedded so a browser shows it).
 */
import type { EmailSettings } from '../../config/settings';
import { LOGO_CONTENT_ID } from '../../mail/brand';
import { composeNotification, type ComposedEmail, type Notification, type Reader } from '../../mail/compose';
import { toEml } from '../../simulator/outbox';

/** A sample release, as an administrator would see one: one message, released by an administrator. */
export function sampleNotification(now: Date, domain = 'contoso.com'): Notification {
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
  return {
    sender: `megan.bowen@${domain}`,
    followUp: false,
    messages: [
      {
        subject: 'Q1 price list (confidential)',
        originalRecipients: ['buyer@fabrikam.example', 'ap@fabrikam.example'],
        releasedTo: ['buyer@fabrikam.example', 'ap@fabrikam.example'],
        quarantinedAt: ago(240),
        releasedAt: ago(20),
        releaser: { kind: 'person', name: `adele.vance@${domain}` },
        type: 'TransportRule',
        policyType: 'ExchangeTransportRule',
        policyName: 'Quarantine outbound confidential',
      },
    ],
  };
}

export interface PreviewFiles {
  email: ComposedEmail;
  eml: string;
  html: string;
}

export function previewFiles(
  notification: Notification,
  settings: EmailSettings,
  reader: Reader,
  now: Date,
): PreviewFiles {
  const email = composeNotification(notification, settings, reader);
  const eml = toEml({
    id: `preview-${email.language}`,
    channel: settings.channel,
    from: settings.senderAddress,
    to: [{ address: notification.sender }],
    cc: [],
    bcc: [],
    replyTo: [],
    subject: email.subject,
    plainText: email.plainText,
    html: email.html,
    ...(email.inlineAttachments ? { inlineAttachments: email.inlineAttachments } : {}),
    headers: { 'Content-Language': email.language },
    acceptedAt: now.toISOString(),
  });
  const logo = email.inlineAttachments?.find((a) => a.contentId === LOGO_CONTENT_ID);
  const html = logo
    ? email.html.replace(`cid:${LOGO_CONTENT_ID}`, `data:${logo.contentType};base64,${logo.contentInBase64}`)
    : email.html;
  return { email, eml, html };
}
