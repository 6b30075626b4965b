import {
  createHttpHeaders,
  RestError,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { readFileSync } from 'node:fs';
import {
  classifyExchangeAnswer,
  ExchangeAdminApi,
  ExchangeApiError,
  translateErrorAnswer,
  usefulErrorMessage,
} from '../../../lib/sources/exchange/admin-api';
import { MemoryLogger } from '../../../lib/core/log';
import { fixturePath, fixtureText } from '../../support/fixtures';

const TENANT = '00000000-0000-0000-0000-00000000c0de';
const NUL_BODY = readFileSync(fixturePath('exchange/error-403-missing-role.bin')).toString('utf8');

type Scripted = { status: number; body?: string; headers?: Record<string, string> } | 'timeout' | 'reset';

/** An HTTP client that answers from a script and remembers what it was asked. */
class ScriptedHttpClient implements HttpClient {
  readonly requests: { url: string; headers: Record<string, string>; body: unknown }[] = [];
  constructor(private readonly script: Scripted[]) {}

  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    this.requests.push({
      url: request.url,
      headers: request.headers.toJSON(),
      body: JSON.parse(String(request.body)),
    });
    const next = this.script.shift() ?? { status: 200, body: envelope([]) };
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

function envelope(rows: unknown[]): string {
  return JSON.stringify({
    '@odata.context': 'x',
    'adminapi.warnings@odata.type': '#Collection(String)',
    '@adminapi.warnings': [],
    value: rows,
  });
}

function credential(scopes: string[] = []): TokenCredential {
  return {
    getToken: async (scope: string | string[]): Promise<AccessToken> => {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return { token: 'fake-token', expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

function api(
  script: Scripted[],
  options: { maxRetryMs?: number; retryDelayMs?: number; logger?: MemoryLogger; scopes?: string[] } = {},
) {
  const http = new ScriptedHttpClient(script);
  const client = new ExchangeAdminApi({
    baseUrl: 'https://outlook.office365.com',
    tenantId: TENANT,
    credential: credential(options.scopes),
    httpClient: http,
    logger: options.logger,
    retryDelayMs: options.retryDelayMs ?? 1,
    maxRetryDelayMs: options.retryDelayMs ?? 5,
    requestTimeoutMs: 20,
    maxRetryMs: options.maxRetryMs ?? 10_000,
  });
  return { client, http };
}

async function failure(promise: Promise<unknown>): Promise<ExchangeApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ExchangeApiError);
    return error as ExchangeApiError;
  }
  throw new Error('expected a failure');
}

describe('Calling the Exchange admin API', () => {
  test('a cmdlet is POSTed to InvokeCommand with a token for the Exchange resource', async () => {
    const scopes: string[] = [];
    const { client, http } = api([{ status: 200, body: envelope([{ Identity: 'a' }]) }], { scopes });
    const result = await client.invoke('Get-QuarantineMessage', { PageSize: 1000, Page: 1 });
    expect(result).toEqual({ rows: [{ Identity: 'a' }], warnings: [] });
    expect(http.requests[0].url).toBe(`https://outlook.office365.com/adminapi/beta/${TENANT}/InvokeCommand`);
    expect(http.requests[0].headers.authorization).toBe('Bearer fake-token');
    expect(http.requests[0].body).toEqual({
      CmdletInput: { CmdletName: 'Get-QuarantineMessage', Parameters: { PageSize: 1000, Page: 1 } },
    });
    expect(scopes).toEqual(['https://outlook.office365.com/.default']);
  });

  test('a cmdlet without parameters sends an empty object, never null', async () => {
    const { client, http } = api([{ status: 200, body: envelope([]) }]);
    await client.invoke('Get-AcceptedDomain');
    expect(http.requests[0].body).toEqual({
      CmdletInput: { CmdletName: 'Get-AcceptedDomain', Parameters: {} },
    });
  });

  test('a success that is not the documented envelope is an unexpected answer, not an empty page', async () => {
    const { client } = api([{ status: 200, body: '<html>login</html>' }]);
    const error = await failure(client.invoke('Get-QuarantineMessage'));
    expect(error.kind).toBe('unexpected-answer');
  });
});

describe('Empty answers: zero rows in every shape', () => {
  const context = { '@odata.context': 'x' };
  const none = {
    ...context,
    'adminapi.warnings@odata.type': '#Collection(String)',
    '@adminapi.warnings': [],
  };
  const warned = { ...context, '@adminapi.warnings': ['There are more results available'] };
  test.each<[string, object]>([
    ['value [] with empty warnings', { ...none, value: [] }],
    ['value null with empty warnings', { ...none, value: null }],
    ['value absent with empty warnings', none],
    ['value [] without warnings', { ...context, value: [] }],
    ['value null without warnings', { ...context, value: null }],
    ['value absent without warnings', context],
    ['value null with a warning', { ...warned, value: null }],
    ['value absent with a warning', warned],
    ['nothing but an empty object', {}],
  ])('GIVEN %s THEN the answer is zero rows, not an error', async (_name, body) => {
    for (const cmdlet of ['Get-QuarantineMessage', 'Get-AcceptedDomain']) {
      const { client } = api([{ status: 200, body: JSON.stringify(body) }]);
      const result = await client.invoke(cmdlet, {});
      expect(result.rows).toEqual([]);
    }
  });

  test.each<[string, string]>([
    ['value that is not a list', JSON.stringify({ value: 'rows' })],
    ['an error body with a 200', JSON.stringify({ error: { message: 'Invalid Operation' } })],
    ['a bare list', JSON.stringify([{ Identity: 'a' }])],
  ])('GIVEN %s THEN it is an unexpected answer, not an empty page', async (_name, body) => {
    const { client } = api([{ status: 200, body }]);
    const error = await failure(client.invoke('Get-QuarantineMessage'));
    expect(error.kind).toBe('unexpected-answer');
  });
});

describe('When Exchange is busy, the call is retried', () => {
  test.each<[string, Scripted]>([
    ['429 without Retry-After', { status: 429, body: '' }],
    ['429 with Retry-After', { status: 429, headers: { 'retry-after': '0' } }],
    ['503', { status: 503, body: '' }],
    ['504', { status: 504, body: '' }],
    [
      'the plain-text concurrency answer',
      {
        status: 429,
        body: 'You have reached the maximum number of concurrent requests per tenant. Please wait.',
      },
    ],
    [
      'a 400 naming ServerBusyException',
      {
        status: 400,
        body: JSON.stringify({
          error: {
            message: 'Invalid Operation',
            innererror: {
              internalexception: { message: 'busy', type: 'Microsoft.Exchange.Data.ServerBusyException' },
            },
          },
        }),
      },
    ],
    [
      'a 400 naming CmdletProxyNotAvailableFailure',
      { status: 400, body: '{"error":{"message":"CmdletProxyNotAvailableFailure"}}' },
    ],
    ['a request that times out', 'timeout'],
    ['a reset connection', 'reset'],
  ])('%s, then success', async (_name, answer) => {
    const logger = new MemoryLogger();
    const { client, http } = api([answer, { status: 200, body: envelope([{ Identity: 'x' }]) }], { logger });
    const result = await client.invoke('Get-QuarantineMessage', { Page: 1 });
    expect(result.rows).toHaveLength(1);
    expect(http.requests).toHaveLength(2);
  });

  test('it gives up after the retry budget with a clear error naming the last answer', async () => {
    const busy: Scripted[] = Array.from({ length: 1000 }, () => ({
      status: 429,
      body: 'maximum number of concurrent requests',
    }));
    const { client } = api(busy, { maxRetryMs: 150, retryDelayMs: 40 });
    const error = await failure(client.invoke('Get-QuarantineMessage'));
    expect(error.kind).toBe('gave-up');
    expect(error.message).toMatch(/within 1 s of retries; last answer: HTTP 429/);
    expect(error.message).toContain('maximum number of concurrent requests');
  });

  test('it stops after a bounded number of retries and says Exchange was still busy', async () => {
    const busy: Scripted[] = Array.from({ length: 1000 }, () => ({ status: 503, body: '' }));
    const { client, http } = api(busy);
    const error = await failure(client.invoke('Get-QuarantineMessage'));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toContain('still busy or unavailable');
    expect(http.requests.length).toBeLessThan(100);
  });

  test('a 403 is not retried', async () => {
    const { client, http } = api([{ status: 403, body: NUL_BODY }]);
    await failure(client.invoke('Get-QuarantineMessage'));
    expect(http.requests).toHaveLength(1);
  });
});

describe('Error answers become one error that says what to fix', () => {
  test('the invalid-enum 400 carries the internal exception’s message', () => {
    const body = fixtureText('exchange/error-400-invalid-enum.json');
    const error = translateErrorAnswer(400, body, 'Get-QuarantineMessage');
    expect(error.kind).toBe('rejected');
    expect(error.status).toBe(400);
    expect(error.serviceMessage).toMatch(
      /^Cannot process argument transformation on parameter 'QuarantineTypes'/,
    );
    expect(error.serviceErrorType).toBe(
      'Microsoft.Exchange.AdminApi.CommandInvocation.ParameterTransformationException',
    );
    expect(error.message).toContain('Specify one of the following enumerator names');
    expect(error.message).not.toContain('Invalid Operation');
  });

  test('the unknown-parameter 400 carries the internal exception’s message', () => {
    const body = fixtureText('exchange/error-400-unknown-parameter.json');
    const error = translateErrorAnswer(400, body, 'Get-QuarantineMessage');
    expect(error.serviceMessage).toBe(
      'Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. BogusParameter',
    );
  });

  test('without an internal exception, details[0] is used with its |Type.Name| prefix stripped', () => {
    const body = JSON.parse(fixtureText('exchange/error-400-unknown-parameter.json'));
    delete body.error.innererror;
    const useful = usefulErrorMessage(JSON.stringify(body));
    expect(useful.message).toBe(
      'Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. BogusParameter',
    );
    expect(useful.type).toBe('Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException');
  });

  test('with neither, error.message is what is left', () => {
    expect(usefulErrorMessage('{"error":{"code":"BadRequest","message":"Invalid Operation"}}')).toEqual({
      message: 'Invalid Operation',
    });
  });

  test('a 403 whose body is NUL bytes names the missing Security Reader role', () => {
    expect(NUL_BODY.length).toBeGreaterThan(0);
    const error = translateErrorAnswer(403, NUL_BODY, 'Get-QuarantineMessage');
    expect(error.kind).toBe('missing-directory-role');
    expect(error.message).toContain('Security Reader');
    expect(error.message).not.toContain('\u0000');
    expect(error.message).not.toMatch(/EntityType/);
  });

  test('a 403 to a request that sent EntityType says never to send it', () => {
    const error = translateErrorAnswer(403, NUL_BODY, 'Get-QuarantineMessage', { EntityType: 'Email' });
    expect(error.message).toContain('never send it');
  });

  test('a 403 on Get-AcceptedDomain points at Global Reader and the other sources', () => {
    const error = translateErrorAnswer(403, NUL_BODY, 'Get-AcceptedDomain');
    expect(error.message).toContain('Global Reader');
    expect(error.message).toContain('ACCEPTED_DOMAINS');
  });

  test('a 401 names the missing Exchange.ManageAsApp permission', () => {
    const error = translateErrorAnswer(401, '', 'Get-QuarantineMessage');
    expect(error.kind).toBe('missing-app-role');
    expect(error.message).toContain('Exchange.ManageAsApp');
  });

  test('the NUL-byte 403 arrives through the pipeline as the same error', async () => {
    const { client } = api([{ status: 403, body: NUL_BODY }]);
    const error = await failure(client.invoke('Get-QuarantineMessage', { PageSize: 1000 }));
    expect(error.kind).toBe('missing-directory-role');
    expect(error.status).toBe(403);
    expect(error.message).toContain('Security Reader');
  });
});

describe('Retry classification', () => {
  test.each([
    [200, '', 'success'],
    [401, '', 'fail'],
    [403, NUL_BODY, 'fail'],
    [400, fixtureText('exchange/error-400-invalid-enum.json'), 'fail'],
    [400, '{"error":{"details":[{"message":"|Microsoft.Exchange.TransientException|try later"}]}}', 'retry'],
    [400, 'BackendCommunicationException', 'retry'],
    [429, '', 'retry'],
    [500, '', 'retry'],
    [501, '', 'fail'],
    [503, '', 'retry'],
    [504, '', 'retry'],
    [200, 'anything', 'success'],
    [404, '', 'fail'],
  ])('HTTP %i %#', (status, body, expected) => {
    expect(classifyExchangeAnswer(status, body)).toBe(expected);
  });
});

describe('Exchange admin API: server-driven paging on the wire', () => {
  test('GIVEN any call THEN it asks for the PageSize as the server page (Prefer: odata.maxpagesize), 1000 when the cmdlet has none', async () => {
    const { client, http } = api([
      { status: 200, body: envelope([]) },
      { status: 200, body: envelope([]) },
    ]);
    await client.invoke('Get-QuarantineMessage', { PageSize: 250, Page: 1 });
    await client.invoke('Get-AcceptedDomain', {});
    expect(http.requests.map((r) => r.headers['prefer'])).toEqual([
      'odata.maxpagesize=250',
      'odata.maxpagesize=1000',
    ]);
  });

  test('GIVEN a nextLink THEN the continuation is sent to it with the same body and headers (X-AnchorMailbox, Prefer)', async () => {
    const next = `https://outlook.office365.com/adminapi/beta/${TENANT}/InvokeCommand?$skiptoken=abc`;
    const { client, http } = api([{ status: 200, body: envelope([{ Identity: 'b' }]) }]);
    const result = await client.invoke(
      'Get-QuarantineMessage',
      { PageSize: 1000, Page: 2 },
      { nextLink: next },
    );
    expect(result.rows).toEqual([{ Identity: 'b' }]);
    expect(http.requests[0].url).toBe(next);
    expect(http.requests[0].body).toEqual({
      CmdletInput: { CmdletName: 'Get-QuarantineMessage', Parameters: { PageSize: 1000, Page: 2 } },
    });
    expect(http.requests[0].headers['x-anchormailbox']).toBe(
      `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${TENANT}`,
    );
    expect(http.requests[0].headers['prefer']).toBe('odata.maxpagesize=1000');
  });

  test('GIVEN a nextLink to another origin THEN it is not followed (the token stays with Exchange)', async () => {
    const { client, http } = api([]);
    const error = await failure(
      client.invoke('Get-QuarantineMessage', {}, { nextLink: 'https://evil.example/adminapi/next' }),
    );
    expect(error.kind).toBe('unexpected-answer');
    expect(http.requests).toHaveLength(0);
  });

  test('GIVEN a continuation answering 400 "Expired or Invalid pagination request" THEN the error says so as its own kind, without retrying', async () => {
    const body = JSON.stringify({
      error: {
        code: 'BadRequest',
        message: 'Invalid Operation',
        details: [
          {
            code: 'Client',
            message:
              '|ODataServiceException|Expired or Invalid pagination request. Default Expiry time is 00:30:00',
          },
        ],
      },
    });
    const { client, http } = api([{ status: 400, body }]);
    const error = await failure(
      client.invoke('Get-QuarantineMessage', {}, { nextLink: 'https://outlook.office365.com/next' }),
    );
    expect(error.kind).toBe('expired-continuation');
    expect(http.requests).toHaveLength(1);
  });
});

describe('recorded shapes: server-driven paging', () => {
  test('GIVEN a truncated page THEN its rows, its nextLink and its "more results" warning are read', async () => {
    const { client } = api([
      { status: 200, body: fixtureText('exchange/get-quarantinemessage.truncated-page.json') },
    ]);
    const result = await client.invoke('Get-QuarantineMessage', { PageSize: 1000, Page: 1 });
    expect(result.rows).toHaveLength(2);
    expect(result.nextLink).toMatch(/\$skiptoken=/);
    expect(result.warnings).toEqual([expect.stringMatching(/more results available/)]);
  });

  test('GIVEN the expired-continuation answer THEN it is told apart from other 400s', async () => {
    const { client } = api([
      { status: 400, body: fixtureText('exchange/error-400-expired-continuation.json') },
    ]);
    const error = await failure(
      client.invoke('Get-QuarantineMessage', {}, { nextLink: 'https://outlook.office365.com/next' }),
    );
    expect(error.kind).toBe('expired-continuation');
    expect(error.serviceMessage).toMatch(/Expired or Invalid pagination request/);
  });
});
