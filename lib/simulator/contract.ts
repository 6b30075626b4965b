/**
 * The shared contract of the Microsoft 365 simulator's parts. Each simulated service (login, Exchange,
 * Graph, ACS, scenario API) listens on its own https loopback port, so that a token's audience names
 * exactly one service, as in the real clouds.
 */
import type { Clock } from '../core/clock';

export type ServiceName = 'login' | 'exchange' | 'graph' | 'acs' | 'scenario';

export interface SimRequest {
  method: string;
  /** The full URL as the client addressed it (https://127.0.0.1:PORT/path?query). */
  url: URL;
  /** Header names lower-cased. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** A plain object or array is sent as JSON; a string or Buffer as is; undefined as an empty body. */
  body?: unknown;
  /** Never answer: the client's own timeout must fire (fault injection). */
  hang?: boolean;
}

export interface Route {
  method: string;
  /** Matched against url.pathname; named groups become `params`. */
  path: RegExp;
  /**
   * 'bearer': the router answers 401 unless the request carries a valid, unexpired bearer token
   * issued by the simulator's login service for this service's audience.
   * 'none': the handler decides (ACS checks HMAC or bearer itself via `SimulatorContext.tokens`).
   */
  auth: 'bearer' | 'none';
  handle(req: SimRequest, params: Record<string, string>): SimResponse | Promise<SimResponse>;
}

/** A bearer token the login service issued. */
export interface IssuedToken {
  audience: ServiceName;
  clientId: string;
  tenantId: string;
  expiresAt: Date;
}

export interface TokenVerifier {
  /** The token in `Authorization: Bearer …`, if valid and unexpired, else undefined. */
  verify(req: SimRequest): IssuedToken | undefined;
}

/** An email the simulator accepted (ACS or Graph sendMail), as a test or a person reads it. */
export interface CapturedEmail {
  id: string;
  channel: 'acs' | 'graph';
  /** The ACS operation id (Operation-Id header or generated), or the Graph request id. */
  operationId?: string;
  from: string;
  fromDisplayName?: string;
  to: { address: string; displayName?: string }[];
  cc: { address: string; displayName?: string }[];
  bcc: { address: string; displayName?: string }[];
  replyTo: { address: string; displayName?: string }[];
  subject: string;
  plainText?: string;
  html?: string;
  /** Inline images (ACS attachments with a contentId, Graph fileAttachments with isInline). */
  inlineAttachments?: { contentId: string; name: string; contentType: string; contentInBase64: string }[];
  headers: Record<string, string>;
  acceptedAt: string;
  /** Path of the .eml file in the outbox, when the simulator has an outbox folder. */
  emlPath?: string;
}

export interface Outbox {
  /** Records an email and writes it as an .eml file when an outbox folder is configured. */
  capture(email: Omit<CapturedEmail, 'id' | 'acceptedAt' | 'emlPath'>): CapturedEmail;
  list(): CapturedEmail[];
  clear(): void;
}

/** One request as the simulator saw it, for tests that assert the wire shape. */
export interface LoggedRequest {
  service: ServiceName;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, or undefined. */
  body?: unknown;
  /** For Exchange InvokeCommand: the cmdlet and its parameters. */
  cmdlet?: string;
  parameters?: Record<string, unknown>;
  status: number;
  at: string;
  /** True when the request carried an Authorization header (any scheme). */
  authorized: boolean;
}

/** A fault answered instead of the real response, `count` times, to requests that match. */
export interface FaultSpec {
  service: Exclude<ServiceName, 'scenario'>;
  kind:
    | 'throttle' // 429, with Retry-After when retryAfterSeconds is given
    | 'unavailable' // 503
    | 'gateway-timeout' // 504
    | 'server-error' // 500
    | 'timeout' // never answers
    | 'reset' // destroys the connection
    | 'concurrency' // Exchange: plain-text "maximum number of concurrent requests" (429)
    | 'transient' // Exchange: 400 naming ServerBusyException
    | 'missing-role' // Exchange: 403 with a body of NUL bytes
    | 'unauthorized'; // 401
  count?: number;
  retryAfterSeconds?: number;
  /** Only requests whose path contains this text (or, for Exchange, whose cmdlet equals it). */
  match?: string;
  /** Only requests whose token names this tenant (a host serving many tenants). */
  tenant?: string;
}

export interface SimulatorContext {
  clock: Clock;
  tenantId: string;
  tokens: TokenVerifier;
  outbox: Outbox;
}
