/**
 * Azure Communication Services Email (docs/wire-contract.md, ACS Email) through the SDK's `EmailClient`.
 *
 * - `send` calls `beginSend` with the notify job's deterministic operation id (sent as `Operation-Id`)
 *   and counts the service's 202 as accepted. It never waits for the operation to finish: ACS completes
 *   sends slowly, and the job checks `status` only when it needs to (after a crash).
 * - The SDK's pipeline would retry a 429 up to 3 times, each after the service's Retry-After (a minute
 *   or more under ACS's per-minute limits), and a 5xx or a dropped connection with the same body.
 *   Retries are turned off (`maxRetries: 0`): a throttled send returns at once so the run can stop and
 *   carry the rest over, and an uncertain send is never repeated blindly; the job asks `status` first.
 * - The From display name cannot be set per email: `EmailMessage` has only `senderAddress`, and ACS
 *   takes the display name from the sender username configured on the email domain (the
 *   `senderUsernames` resource's `displayName`, set by the infrastructure from EMAIL_SENDER_DISPLAY_NAME).
 */
import { EmailClient, type EmailMessage, type EmailClientOptions } from '@azure/communication-email';
import { isRestError, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import type { EmailSettings } from '../config/settings';
import { originGuardPolicy } from '../core/origin-guard';
import type { Logger } from '../core/log';
import {
  AUTOMATED_MESSAGE_HEADERS,
  parseRetryAfter,
  refuseUnusableRecipient,
  REQUEST_TIMEOUT_MS,
  shortReason,
  type DeliveryReport,
  type EmailChannel,
  type OperationState,
  type OutgoingEmail,
  type SendOutcome,
} from './channel';

export interface AcsChannelOptions {
  /** Per call (send, or status), in milliseconds. */
  timeoutMs?: number;
  /** Extra client options (tests); retries stay off whatever is given here. */
  clientOptions?: EmailClientOptions;
  /** Where a refused request (an Operation-Location off the endpoint) is logged. */
  logger?: Logger;
}

/** The `endpoint=` of an ACS connection string. */
export function connectionStringEndpoint(connectionString: string): string {
  const match = /(?:^|;)\s*endpoint\s*=\s*([^;]+)/i.exec(connectionString);
  if (!match) throw new Error('ACS_CONNECTION_STRING has no endpoint=');
  return match[1].trim();
}

/** The status call the SDK's generated client has but `EmailClient` does not expose (1.1.0). */
interface GeneratedEmailOperations {
  getSendResult(
    operationId: string,
    options?: { abortSignal?: AbortSignal },
  ): Promise<{ id: string; status: string; error?: { code?: string; message?: string } }>;
}

const SIMPLE_ADDRESS = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

export function createAcsChannel(
  settings: EmailSettings,
  credential: TokenCredential,
  options: AcsChannelOptions = {},
): EmailChannel {
  const acs = settings.acs;
  if (!acs) {
    throw new Error('The ACS email channel needs ACS_ENDPOINT or ACS_CONNECTION_STRING.');
  }
  // The key's HMAC signature (or the bearer token) goes to the configured endpoint only: an
  // Operation-Location pointing elsewhere is refused, never polled with credentials.
  const endpoint = acs.kind === 'endpoint' ? acs.endpoint : connectionStringEndpoint(acs.connectionString);
  const clientOptions: EmailClientOptions = {
    ...options.clientOptions,
    retryOptions: { ...options.clientOptions?.retryOptions, maxRetries: 0 },
    additionalPolicies: [
      ...(options.clientOptions?.additionalPolicies ?? []),
      { policy: originGuardPolicy('acs', endpoint, options.logger), position: 'perRetry' },
    ],
  };
  const client =
    acs.kind === 'connectionString'
      ? new EmailClient(acs.connectionString, clientOptions)
      : new EmailClient(acs.endpoint, credential, clientOptions);
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;

  // `GET /emails/operations/{id}` through the client's own pipeline (same auth, same api-version).
  // EmailClient 1.1.0 keeps its generated client private; the package version is pinned, and this check
  // fails at start, not mid-run, if a new version moves it.
  const operations = (
    client as unknown as { generatedClient?: { email?: Partial<GeneratedEmailOperations> } }
  ).generatedClient?.email;
  if (typeof operations?.getSendResult !== 'function') {
    throw new Error(
      'This version of @azure/communication-email has no getSendResult on its generated client; the ACS channel needs it to check an operation id.',
    );
  }
  const getSendResult = operations.getSendResult.bind(operations);

  // Replies go to the support contact when it is a plain address, not to a DoNotReply sender.
  const replyTo =
    settings.supportContact && SIMPLE_ADDRESS.test(settings.supportContact)
      ? [{ address: settings.supportContact }]
      : undefined;

  async function send(email: OutgoingEmail, operationId: string): Promise<SendOutcome> {
    const refused = refuseUnusableRecipient(email);
    if (refused) return refused;
    const message: EmailMessage = {
      senderAddress: settings.senderAddress,
      content: { subject: email.subject, plainText: email.plainText, html: email.html },
      recipients: {
        to: [{ address: email.to, ...(email.toDisplayName ? { displayName: email.toDisplayName } : {}) }],
      },
      ...(replyTo ? { replyTo } : {}),
      ...(email.inlineAttachments?.length
        ? { attachments: email.inlineAttachments.map((a) => ({ ...a })) }
        : {}),
      disableUserEngagementTracking: true, // on the wire: userEngagementTrackingDisabled
      // ACS writes custom headers into the message as given; only its own `x-ms-acsemail-*` are read by it.
      headers: { ...AUTOMATED_MESSAGE_HEADERS },
    };
    // beginSend POSTs the email, then polls the operation once. Only the POST's answer decides: a
    // failure of that first poll must not turn an accepted send into a "failed" one (and a resend).
    let sendStatus: number | undefined;
    const onResponse = (raw: PipelineResponse) => {
      if (raw.request.method === 'POST') sendStatus = raw.status;
    };
    try {
      await client.beginSend(message, {
        operationId,
        onResponse,
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
      return { kind: 'accepted' };
    } catch (error) {
      if (sendStatus !== undefined && sendStatus >= 200 && sendStatus < 300) return { kind: 'accepted' };
      return outcomeOf(error);
    }
  }

  async function status(operationId: string): Promise<OperationState> {
    try {
      const result = await getSendResult(operationId, { abortSignal: AbortSignal.timeout(timeoutMs) });
      switch ((result.status ?? '').toLowerCase()) {
        case 'succeeded':
          return 'succeeded';
        case 'failed':
        case 'canceled':
        case 'cancelled':
          return 'failed';
        default:
          return 'accepted'; // NotStarted, Running, or a state added later: the service has it
      }
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return 'unknown';
      throw new Error(`Could not read the status of ACS operation ${operationId}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  async function deliveryStatus(operationId: string): Promise<DeliveryReport> {
    try {
      const result = await getSendResult(operationId, { abortSignal: AbortSignal.timeout(timeoutMs) });
      return deliveryReportOf(result);
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return { state: 'unknown', raw: 'HTTP 404' };
      throw new Error(`Could not read the status of ACS operation ${operationId}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  return { name: 'acs', supportsStatus: true, send, status, deliveryStatus };
}

/** An operation's answer as a delivery report. Exported for tests. */
export function deliveryReportOf(result: {
  status?: unknown;
  error?: { code?: unknown; message?: unknown } | null;
}): DeliveryReport {
  const status = typeof result.status === 'string' ? result.status.toLowerCase() : '';
  if (status === 'succeeded') return { state: 'succeeded' };
  if (status === 'notstarted' || status === 'running') return { state: 'in-progress' };
  if (status === 'failed' || status === 'canceled' || status === 'cancelled') {
    const code = typeof result.error?.code === 'string' ? shortReason(result.error.code, 100) : undefined;
    const message =
      typeof result.error?.message === 'string' ? shortReason(result.error.message, 300) : undefined;
    return {
      state: 'failed',
      error: {
        ...(code ? { code } : {}),
        ...(message ? { message } : status !== 'failed' ? { message: 'canceled' } : {}),
      },
    };
  }
  return { state: 'unknown', raw: shortReason(`status ${JSON.stringify(result.status ?? null)}`, 100) };
}

function describe(error: unknown): string {
  if (isRestError(error)) {
    const parts = [
      error.statusCode !== undefined ? `HTTP ${error.statusCode}` : undefined,
      error.code,
      error.message,
    ];
    return shortReason(parts.filter(Boolean).join(' '));
  }
  if (error instanceof Error) {
    if (error.name === 'AbortError' || error.name === 'TimeoutError') return 'no answer in time';
    return shortReason(error.message || error.name);
  }
  return shortReason(String(error));
}

/** 429 → throttled; other 4xx (but 408) → permanent; 5xx, network, timeout → transient. */
function outcomeOf(error: unknown): SendOutcome {
  const statusCode = isRestError(error) ? error.statusCode : undefined;
  if (statusCode === 429) {
    const retryAfter = isRestError(error) ? error.response?.headers.get('retry-after') : undefined;
    const retryAfterSeconds = parseRetryAfter(retryAfter);
    return retryAfterSeconds === undefined ? { kind: 'throttled' } : { kind: 'throttled', retryAfterSeconds };
  }
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500 && statusCode !== 408) {
    return { kind: 'failed', permanent: true, reason: `ACS refused the email: ${describe(error)}` };
  }
  const reason =
    statusCode === undefined
      ? `ACS could not be reached: ${describe(error)}`
      : `ACS could not take the email now: ${describe(error)}`;
  return { kind: 'failed', permanent: false, reason };
}
