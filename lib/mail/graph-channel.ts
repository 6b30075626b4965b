/**
 * Microsoft Graph `sendMail` from a configured mailbox (needs the Mail.Send application permission,
 * best limited to that one mailbox with Exchange RBAC for Applications or an application access policy).
 *
 * - Graph takes one body per message: the HTML is sent, the plain text is not (mail clients that cannot
 *   show HTML get Exchange's own text rendering of it).
 * - The From display name is the mailbox's own; `saveToSentItems: false` keeps the mailbox clean.
 * - Exactly once: sendMail has no idempotency key and no way to ask whether a message went out, so
 *   `supportsStatus` is false and `status` answers 'unknown'. The notify job records each notification
 *   before sending it, so the bound is: at most one duplicate email per notification for each time the
 *   process dies (or loses its answer) between Graph accepting the send and the job recording it. A
 *   send that timed out or hit a 5xx may have gone out too: those count as such uncertain outcomes.
 *   The Graph client's RetryHandler is turned off for this request so that it never adds duplicates of
 *   its own (it would repeat the POST on a 429, 503 or 504).
 * - Graph's JSON `internetMessageHeaders` take only `x-` names (any other is a 400
 *   InvalidInternetMessageHeader), so `X-Auto-Response-Suppress` goes out and `Auto-Submitted` cannot;
 *   Exchange's own auto-replies honour the first.
 */
import { GraphError, RetryHandlerOptions, type Client } from '@microsoft/microsoft-graph-client';
import {
  AUTOMATED_MESSAGE_HEADERS,
  parseRetryAfter,
  refuseUnusableRecipient,
  REQUEST_TIMEOUT_MS,
  shortReason,
  type EmailChannel,
  type OperationState,
  type OutgoingEmail,
  type SendOutcome,
} from './channel';

export interface GraphChannelOptions {
  /** Per send, in milliseconds. */
  timeoutMs?: number;
}

const GRAPH_SETTABLE_HEADERS = Object.entries(AUTOMATED_MESSAGE_HEADERS)
  .filter(([name]) => /^x-/i.test(name))
  .map(([name, value]) => ({ name, value }));

export function createGraphChannel(
  graph: Client,
  senderMailbox: string,
  options: GraphChannelOptions = {},
): EmailChannel {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  // The address as Graph's own examples write it: '@' literal, anything else that could end the segment encoded.
  const path = `/users/${encodeURIComponent(senderMailbox).replace(/%40/g, '@')}/sendMail`;

  async function send(email: OutgoingEmail): Promise<SendOutcome> {
    const refused = refuseUnusableRecipient(email);
    if (refused) return refused;
    const body = {
      message: {
        subject: email.subject,
        body: { contentType: 'HTML', content: email.html },
        toRecipients: [
          {
            emailAddress: {
              address: email.to,
              ...(email.toDisplayName ? { name: email.toDisplayName } : {}),
            },
          },
        ],
        ...(email.inlineAttachments?.length
          ? {
              attachments: email.inlineAttachments.map((a) => ({
                '@odata.type': '#microsoft.graph.fileAttachment',
                name: a.name,
                contentType: a.contentType,
                contentBytes: a.contentInBase64,
                contentId: a.contentId,
                isInline: true,
              })),
            }
          : {}),
        internetMessageHeaders: GRAPH_SETTABLE_HEADERS,
      },
      saveToSentItems: false,
    };
    try {
      await graph
        .api(path)
        .version('v1.0')
        .middlewareOptions([new RetryHandlerOptions(0, 0, () => false)])
        .option('signal', AbortSignal.timeout(timeoutMs))
        .post(body);
      return { kind: 'accepted' };
    } catch (error) {
      return outcomeOf(error, senderMailbox);
    }
  }

  async function status(): Promise<OperationState> {
    return 'unknown';
  }

  return { name: 'graph', supportsStatus: false, send, status };
}

/** 429 → throttled; other 4xx (but 408) → permanent, with what to fix; 5xx, network, timeout → transient. */
function outcomeOf(error: unknown, mailbox: string): SendOutcome {
  const statusCode = error instanceof GraphError && error.statusCode > 0 ? error.statusCode : undefined;
  if (statusCode === 429) {
    const retryAfterSeconds = parseRetryAfter((error as GraphError).headers?.get('retry-after'));
    return retryAfterSeconds === undefined ? { kind: 'throttled' } : { kind: 'throttled', retryAfterSeconds };
  }
  const service = error instanceof GraphError ? [error.code, error.message].filter(Boolean).join(': ') : '';
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500 && statusCode !== 408) {
    const hint =
      statusCode === 401 || statusCode === 403
        ? ` The app's identity needs the Microsoft Graph application permission Mail.Send (granted by an administrator) and the right to send as ${mailbox}.`
        : statusCode === 404
          ? ` Check that ${mailbox} (EMAIL_SENDER_ADDRESS) is an existing mailbox.`
          : '';
    return {
      kind: 'failed',
      permanent: true,
      reason: shortReason(`Graph sendMail refused the email: HTTP ${statusCode} ${service}.${hint}`, 500),
    };
  }
  if (statusCode !== undefined) {
    return {
      kind: 'failed',
      permanent: false,
      reason: shortReason(`Graph sendMail failed: HTTP ${statusCode} ${service}`),
    };
  }
  const name = error instanceof Error ? error.name : '';
  const detail =
    name === 'AbortError' || name === 'TimeoutError'
      ? 'no answer in time'
      : error instanceof Error
        ? error.message || name
        : String(error);
  return { kind: 'failed', permanent: false, reason: shortReason(`Graph could not be reached: ${detail}`) };
}
