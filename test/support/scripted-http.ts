/**
 * An HTTP client under the Azure SDK pipeline that answers from a script and remembers what it was asked,
 * and a credential that hands out a fake token: the Exchange admin API client tested without a network.
 */
import {
  createHttpHeaders,
  RestError,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import type { AccessToken, TokenCredential } from '@azure/identity';

export type Scripted =
  { status: number; body?: string; headers?: Record<string, string> } | 'timeout' | 'reset';

export class ScriptedHttpClient implements HttpClient {
  readonly requests: { url: string; headers: Record<string, string>; body: unknown }[] = [];
  constructor(
    private readonly script: Scripted[],
    private readonly otherwise: () => Scripted = () => ({ status: 200, body: envelope([]) }),
  ) {}

  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    this.requests.push({
      url: request.url,
      headers: request.headers.toJSON(),
      body: JSON.parse(String(request.body)),
    });
    const next = this.script.shift() ?? this.otherwise();
    if (next === 'timeout') {
      // What the real client does when request.timeout passes: abort with an AbortError.
      await new Promise((r) => setTimeout(r, Math.min(request.timeout, 50)));
      const error = new Error('The operation was aborted.');
      error.name = 'AbortError';
      throw error;
    }
    if (next === 'reset') throw new RestError('socket hang up', { code: 'ECONNRESET', request });
    return {
      request,
      status: next.status,
      headers: createHttpHeaders(next.headers ?? {}),
      bodyAsText: next.body ?? '',
    };
  }
}

/** A complete InvokeCommand answer holding `rows`. */
export function envelope(rows: unknown[]): string {
  return JSON.stringify({
    '@odata.context': 'x',
    'adminapi.warnings@odata.type': '#Collection(String)',
    '@adminapi.warnings': [],
    value: rows,
  });
}

export function fakeCredential(scopes: string[] = []): TokenCredential {
  return {
    getToken: async (scope: string | string[]): Promise<AccessToken> => {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return { token: 'fake-token', expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}
