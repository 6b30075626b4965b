import {
  Client,
  MiddlewareFactory,
  type AuthenticationProvider,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { OriginGuardMiddleware } from '../core/origin-guard';
import type { Logger } from '../core/log';

/**
 * The Microsoft Graph client for the configured Graph host (GRAPH_API_URL). The client sends its
 * token only to Graph's own hosts and to `customHosts`, so the configured host is named there
 * (national clouds, the local simulator). Its RetryHandler honours 429 Retry-After.
 *
 * `customHosts` compares host names only (any port, and every Microsoft Graph cloud), so the default
 * chain is given an origin guard just before its HTTP handler: a request to any origin but the configured
 * one (a nextLink or a redirect elsewhere) is refused and logged, never sent with the token.
 */
export interface GraphClientOptions {
  /**
   * One call, retries included, gives up after this long (default 100 s): a Graph request that never
   * answers must not hold a run until the host's own timeout. A call that sets its own signal keeps it.
   */
  requestTimeoutMs?: number;
}

export function createGraphClient(
  graphApiUrl: string,
  credential: TokenCredential,
  logger?: Logger,
  options: GraphClientOptions = {},
): Client {
  const url = new URL(graphApiUrl);
  const authProvider: AuthenticationProvider = {
    getAccessToken: reusedToken(credential, `${url.origin}/.default`),
  };
  const chain: Middleware[] = [
    new TimeoutMiddleware(options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS),
    ...MiddlewareFactory.getDefaultMiddlewareChain(authProvider),
  ];
  // The last handler sends the request: the guard goes right before it.
  chain.splice(chain.length - 1, 0, new OriginGuardMiddleware(url.origin, logger));
  return Client.initWithMiddleware({
    baseUrl: url.origin,
    customHosts: new Set([url.hostname]),
    middleware: chain,
  });
}

const DEFAULT_TIMEOUT_MS = 100_000;

/** A token is asked for again this long before it expires (when the credential names no refresh time). */
export const TOKEN_REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * The credential's token for one scope, kept for reuse. The Graph client asks for a token before every
 * request, and even a credential answering from its own cache does real work each time (hundreds of
 * mailbox reads in a dry run). The token is asked for again once the credential's refresh time has come,
 * or five minutes before it expires; callers asking at once share one request; a failure is not kept.
 */
export function reusedToken(
  credential: TokenCredential,
  scope: string,
  now: () => number = Date.now,
): () => Promise<string> {
  let token: AccessToken | undefined;
  let asking: Promise<AccessToken> | undefined;
  const fresh = (t: AccessToken) =>
    now() < (t.refreshAfterTimestamp ?? t.expiresOnTimestamp - TOKEN_REFRESH_BEFORE_EXPIRY_MS);
  return async () => {
    if (token && fresh(token)) return token.token;
    asking ??= credential
      .getToken(scope)
      .then((answer) => {
        if (!answer) throw new Error(`No token for ${scope}`);
        return answer;
      })
      .finally(() => (asking = undefined));
    token = await asking;
    return token.token;
  };
}

/** First in the chain: gives the call (all its retries) one deadline, unless the caller set a signal. */
class TimeoutMiddleware implements Middleware {
  private next?: Middleware;
  constructor(private readonly timeoutMs: number) {}

  async execute(context: Context): Promise<void> {
    context.options = context.options ?? {};
    if (!context.options.signal) context.options.signal = AbortSignal.timeout(this.timeoutMs);
    await this.next!.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
