import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import type { Logger } from './log';

/**
 * Token safety (docs/security.md, Risks and how each is handled): every client that carries credentials (a
 * bearer token, or ACS's HMAC signature) sends requests only to the one origin it was configured for. A URL
 * that came from a response (an `@odata.nextLink`, an `Operation-Location`, a redirect) and points anywhere
 * else is refused before it leaves the process: the request throws `ForeignOriginError` and the refusal is
 * logged (origins only).
 *
 * The guard sits last in each pipeline, after the credential was applied and right before the wire, so it
 * also sees requests the SDKs build on their own (long-running-operation polls, redirects, retries).
 *
 * - Azure SDK clients (Exchange admin API pipeline, ACS `EmailClient`, `TableClient`): `originGuardPolicy`.
 * - The Microsoft Graph client: `OriginGuardMiddleware`, placed just before its HTTP handler.
 */

export class ForeignOriginError extends Error {
  override readonly name = 'ForeignOriginError';
  constructor(
    /** Which client refused: "graph", "exchange", "acs", "tables". */
    readonly client: string,
    readonly allowedOrigin: string,
    /** The origin asked for ("unparsable" when the URL could not be read). */
    readonly refusedOrigin: string,
  ) {
    super(
      `Refused to send a ${client} request to ${refusedOrigin}: only ${allowedOrigin} (the configured ` +
        `endpoint) may receive this client's credentials`,
    );
  }
}

/** The origin (scheme://host[:port]) of a URL, or undefined when it cannot be read. */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.origin === 'null' ? undefined : parsed.origin;
  } catch {
    return undefined;
  }
}

/** Throws ForeignOriginError (and logs it) unless `url` is on `allowedOrigin`. */
export function assertOrigin(client: string, allowedOrigin: string, url: string, logger?: Logger): void {
  const origin = originOf(url);
  if (origin !== undefined && origin === allowedOrigin) return;
  const error = new ForeignOriginError(client, allowedOrigin, origin ?? 'unparsable');
  logger?.error('Refused a request off the configured host; no credentials were sent', {
    client,
    allowedOrigin,
    refusedOrigin: error.refusedOrigin,
  });
  throw error;
}

function allowedOriginOf(client: string, configuredUrl: string): string {
  const origin = originOf(configuredUrl);
  if (!origin) throw new Error(`The ${client} endpoint "${configuredUrl}" is not a URL`);
  return origin;
}

export const ORIGIN_GUARD_POLICY = 'originGuardPolicy';

/** An Azure SDK pipeline policy that refuses any request whose origin is not `configuredUrl`'s. */
export function originGuardPolicy(client: string, configuredUrl: string, logger?: Logger): PipelinePolicy {
  const allowed = allowedOriginOf(client, configuredUrl);
  return {
    name: ORIGIN_GUARD_POLICY,
    sendRequest: async (request, next) => {
      assertOrigin(client, allowed, request.url, logger);
      return next(request);
    },
  };
}

/** The Graph client's counterpart of `originGuardPolicy`: place it just before the HTTPMessageHandler. */
export class OriginGuardMiddleware implements Middleware {
  private next?: Middleware;
  private readonly allowed: string;

  constructor(
    configuredUrl: string,
    private readonly logger?: Logger,
    private readonly client = 'graph',
  ) {
    this.allowed = allowedOriginOf(client, configuredUrl);
  }

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    assertOrigin(this.client, this.allowed, url, this.logger);
    if (!this.next) throw new Error('OriginGuardMiddleware must not be the last middleware');
    await this.next.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
