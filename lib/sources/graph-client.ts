import { Client } from '@microsoft/microsoft-graph-client';
import type { TokenCredential } from '@azure/identity';

/**
 * The Microsoft Graph client for the configured Graph host (GRAPH_API_URL). The client sends its
 * token only to Graph's own hosts and to `customHosts`, so the configured host is named there
 * (national clouds, the local simulator). Its RetryHandler honours 429 Retry-After.
 */
export function createGraphClient(graphApiUrl: string, credential: TokenCredential): Client {
  const url = new URL(graphApiUrl);
  const scope = `${url.origin}/.default`;
  return Client.initWithMiddleware({
    baseUrl: url.origin,
    customHosts: new Set([url.hostname]),
    authProvider: {
      getAccessToken: async () => {
        const token = await credential.getToken(scope);
        if (!token) throw new Error(`No token for ${scope}`);
        return token.token;
      },
    },
  });
}
