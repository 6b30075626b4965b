/**
 * Microsoft Entra's token endpoint for the client-credentials flow, plus the discovery documents MSAL
 * fetches first. Tokens are opaque random strings kept in memory; their audience is the one service the
 * scope names (the simulator's own URL, or the real resource name mapped to it).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock';
import type { IssuedToken, Route, ServiceName, SimRequest, SimResponse, TokenVerifier } from './contract';
import { createApiTokenSigner, SIMULATED_API, type ApiTokenSigner } from './api-tokens';
import { aadError } from './errors';

export interface LoginOptions {
  clock: Clock;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** A second client: the administrator's tool (`qrn permissions`), with its own secret. */
  admin?: { clientId: string; clientSecret: string };
  /** The simulator's service URLs (https://127.0.0.1:PORT), known once every listener is up. */
  urls: () => Record<ServiceName, string>;
  /** Other names the tenant answers to (its domains), besides its id. */
  tenantNames?: () => string[];
  tokenLifetimeMs: number;
  /**
   * Many tenants under one host (docs/architecture.md#many-tenants): the customer tenants, each signed in
   * to by the multi-tenant app with a client assertion (the home app's token-exchange token), once the
   * customer consented.
   */
  fleet?: { appClientId: string; tenants: () => FleetTenantLogin[] };
}

export interface FleetTenantLogin {
  tenantId: string;
  /** Its domains, which the login also answers to. */
  names: string[];
  /** False once the customer's administrator withdrew consent (the app's service principal is gone). */
  consented: boolean;
}

/** The audience of a managed identity's token used as a federated client assertion (any cloud's). */
const TOKEN_EXCHANGE_AUDIENCE = /^api:\/\/AzureADTokenExchange[A-Za-z]*$/i;

/** Real resource identifiers (URIs and first-party app ids) mapped to the simulated services. */
const REAL_RESOURCES: Record<string, ServiceName> = {
  'https://outlook.office365.com': 'exchange',
  'https://outlook.office.com': 'exchange',
  '00000002-0000-0ff1-ce00-000000000000': 'exchange',
  'https://graph.microsoft.com': 'graph',
  '00000003-0000-0000-c000-000000000000': 'graph',
  'https://communication.azure.com': 'acs',
};

export interface LoginService {
  routes: Route[];
  tokens: TokenVerifier & {
    /** Issues a token directly (tests, or the ACS service's own needs). */
    issue(audience: ServiceName, clientId?: string): string;
    revokeAll(): void;
  };
  /** Signed JWTs for the app's own API, and the JWKS that verifies them. */
  apiTokens: ApiTokenSigner;
}

export function createLoginService(options: LoginOptions): LoginService {
  const issued = new Map<string, IssuedToken>();
  const apiTokens = createApiTokenSigner({
    clock: options.clock,
    tenantId: options.tenantId,
    loginUrl: () => options.urls().login,
  });

  /** Token-exchange tokens the login issued to the home app: the assertions the fleet app may present. */
  const assertions = new Map<string, { subject: string; expiresAt: number }>();

  const issue = (audience: ServiceName, clientId = options.clientId, tenantId = options.tenantId): string => {
    const now = options.clock.now().getTime();
    for (const [t, info] of issued) if (info.expiresAt.getTime() <= now) issued.delete(t);
    const token = randomBytes(32).toString('base64url');
    issued.set(token, {
      audience,
      clientId,
      tenantId,
      expiresAt: new Date(now + options.tokenLifetimeMs),
    });
    return token;
  };

  const tokens: LoginService['tokens'] = {
    issue: (audience, clientId) => issue(audience, clientId),
    revokeAll: () => issued.clear(),
    verify(req: SimRequest) {
      const match = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      const info = match ? issued.get(match[1]) : undefined;
      if (!info || info.expiresAt.getTime() <= options.clock.now().getTime()) return undefined;
      return info;
    },
  };

  const fleetTenant = (tenant: string) => {
    const t = tenant.toLowerCase();
    return options.fleet
      ?.tenants()
      .find((f) => f.tenantId.toLowerCase() === t || f.names.some((n) => n.toLowerCase() === t));
  };

  const isHomeTenant = (tenant: string) => {
    const t = tenant.toLowerCase();
    return (
      t === options.tenantId.toLowerCase() ||
      (options.tenantNames?.() ?? []).some((n) => n.toLowerCase() === t)
    );
  };

  const isOurTenant = (tenant: string) => isHomeTenant(tenant) || fleetTenant(tenant) !== undefined;

  const base = (req: SimRequest) => `https://${req.url.host}`;

  /** The token endpoint's answer carrying an access token of the login's lifetime. */
  const accessTokenResponse = (accessToken: string): SimResponse => {
    const lifetime = Math.floor(options.tokenLifetimeMs / 1000) - 1;
    return {
      status: 200,
      headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
      body: {
        token_type: 'Bearer',
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: accessToken,
      },
    };
  };

  const fail = (req: SimRequest, status: number, error: string, code: number, description: string) =>
    aadError({
      status,
      error,
      code,
      description,
      now: options.clock.now(),
      errorUriBase: base(req),
      correlationId: req.headers['client-request-id'],
    });

  // Entra answers an application the tenant has not consented to with 400 (unauthorized_client), not 401.
  const appNotInTenant = (req: SimRequest, clientId: string, tenantId: string) =>
    fail(
      req,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );

  // The discovery document says invalid_tenant, the token endpoint invalid_request; both AADSTS90002.
  const tenantNotFound = (req: SimRequest, tenant: string, error = 'invalid_request') =>
    fail(
      req,
      400,
      error,
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );

  /** The audience a `<resource>/.default` scope names, or undefined. */
  const audienceOf = (resource: string): ServiceName | undefined => {
    const trimmed = resource.replace(/\/+$/, '');
    const real = REAL_RESOURCES[trimmed.toLowerCase()];
    if (real) return real;
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return undefined;
    }
    if (!['127.0.0.1', 'localhost'].includes(url.hostname)) return undefined;
    const urls = options.urls();
    const hit = (Object.keys(urls) as ServiceName[]).find(
      (s) => s !== 'login' && s !== 'scenario' && new URL(urls[s]).port === url.port,
    );
    return hit;
  };

  const openIdConfiguration = (req: SimRequest, params: Record<string, string>): SimResponse => {
    if (!isOurTenant(params.tenant)) return tenantNotFound(req, params.tenant, 'invalid_tenant');
    const b = base(req);
    const t = fleetTenant(params.tenant)?.tenantId ?? options.tenantId;
    return {
      status: 200,
      body: {
        token_endpoint: `${b}/${t}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        jwks_uri: `${b}/${t}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        // MSAL checks that the issuer shares the authority's origin.
        issuer: `${b}/${t}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${b}/oidc/userinfo`,
        authorization_endpoint: `${b}/${t}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${b}/${t}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${b}/${t}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'oid', 'roles'],
        kerberos_endpoint: `${b}/${t}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
    };
  };

  const instanceDiscovery = (req: SimRequest): SimResponse => {
    const host = req.url.host;
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${base(req)}/common/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    };
  };

  const token = (req: SimRequest, params: Record<string, string>): SimResponse => {
    const form = new URLSearchParams(req.body.toString('utf8'));
    if (!isOurTenant(params.tenant)) return tenantNotFound(req, params.tenant);
    const customer = isHomeTenant(params.tenant) ? undefined : fleetTenant(params.tenant);
    if (customer) return fleetToken(req, form, customer);
    const grantType = form.get('grant_type');
    if (grantType !== 'client_credentials') {
      return fail(
        req,
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType ?? ''}'.`,
      );
    }
    const clientId = form.get('client_id') ?? '';
    const isAdmin =
      options.admin !== undefined && clientId.toLowerCase() === options.admin.clientId.toLowerCase();
    const expectedSecret = isAdmin ? options.admin!.clientSecret : options.clientSecret;
    if (!isAdmin && clientId.toLowerCase() !== options.clientId.toLowerCase()) {
      return appNotInTenant(req, clientId, options.tenantId);
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret === null && assertion === null) {
      return fail(
        req,
        401,
        'invalid_client',
        7000216,
        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
      );
    }
    if (secret !== null && secret !== expectedSecret) {
      return fail(
        req,
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    if (secret === null && !assertionNamesClient(assertion ?? '', clientId)) {
      return fail(req, 401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
    }
    const scopes = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const scope = scopes.find((s) => s.endsWith('/.default'));
    if (!scope) {
      return fail(
        req,
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scopes.join(' ')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const resource = scope.slice(0, -'/.default'.length);
    if (TOKEN_EXCHANGE_AUDIENCE.test(resource.replace(/\/+$/, ''))) {
      // What a managed identity's token for the token exchange is: a signed JWT naming the identity.
      const lifetimeMs = options.tokenLifetimeMs;
      const assertion = apiTokens.sign({
        aud: resource.replace(/\/+$/, ''),
        sub: clientId,
        roles: [],
        lifetimeMs,
      });
      const now = options.clock.now().getTime();
      for (const [a, info] of assertions) if (info.expiresAt <= now) assertions.delete(a);
      assertions.set(assertion, { subject: clientId, expiresAt: now + lifetimeMs });
      return accessTokenResponse(assertion);
    }
    if (resource.replace(/\/+$/, '') === SIMULATED_API.audience) {
      // The app's own API: an app-only token carrying the app role, as Entra issues once it is assigned.
      const lifetimeMs = options.tokenLifetimeMs;
      return {
        status: 200,
        headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
        body: {
          token_type: 'Bearer',
          expires_in: Math.floor(lifetimeMs / 1000) - 1,
          access_token: apiTokens.sign({ sub: clientId, lifetimeMs }),
        },
      };
    }
    const audience = audienceOf(resource);
    if (!audience) {
      return fail(
        req,
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${options.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
    return accessTokenResponse(issue(audience, clientId));
  };

  /**
   * A customer tenant's token: only the multi-tenant app, only with an assertion from its federated
   * credential (the home app's token-exchange token), and only while the customer's consent stands.
   */
  const fleetToken = (req: SimRequest, form: URLSearchParams, customer: FleetTenantLogin): SimResponse => {
    const clientId = (form.get('client_id') ?? '').toLowerCase();
    if (form.get('grant_type') !== 'client_credentials') {
      return fail(req, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    }
    const admin = options.admin;
    if (admin !== undefined && clientId === admin.clientId.toLowerCase()) {
      // The provider's administrator, with rights in the customer's tenant (`qrn permissions --tenant`).
      if (form.get('client_secret') !== admin.clientSecret) {
        return fail(req, 401, 'invalid_client', 7000215, 'Invalid client secret provided.');
      }
    } else if (
      !options.fleet ||
      clientId !== options.fleet.appClientId.toLowerCase() ||
      !customer.consented
    ) {
      return appNotInTenant(req, clientId, customer.tenantId);
    }
    const isAdmin = admin !== undefined && clientId === admin.clientId.toLowerCase();
    const assertion = assertions.get(form.get('client_assertion') ?? '');
    const federated =
      form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
      assertion !== undefined &&
      assertion.expiresAt > options.clock.now().getTime() &&
      assertion.subject.toLowerCase() === options.clientId.toLowerCase();
    if (!isAdmin && !federated) {
      return fail(
        req,
        401,
        'invalid_client',
        700213,
        'No matching federated identity record found for presented assertion subject.',
      );
    }
    const resource = (form.get('scope') ?? '').split(/\s+/).find((s) => s.endsWith('/.default'));
    const audience = resource ? audienceOf(resource.slice(0, -'/.default'.length)) : undefined;
    if (!audience) {
      return fail(req, 400, 'invalid_scope', 1002012, `The provided value for scope is not valid.`);
    }
    return accessTokenResponse(issue(audience, clientId, customer.tenantId));
  };

  const routes: Route[] = [
    {
      method: 'GET',
      path: /^\/(?<tenant>[^/]+)\/v2\.0\/\.well-known\/openid-configuration$/,
      auth: 'none',
      handle: openIdConfiguration,
    },
    {
      method: 'GET',
      path: /^\/(?<tenant>[^/]+)\/\.well-known\/openid-configuration$/,
      auth: 'none',
      handle: openIdConfiguration,
    },
    { method: 'GET', path: /^\/common\/discovery\/instance$/, auth: 'none', handle: instanceDiscovery },
    {
      method: 'GET',
      path: /^\/(?<tenant>[^/]+)\/discovery\/v2\.0\/keys$/,
      auth: 'none',
      handle: () => ({ status: 200, body: apiTokens.jwks() }),
    },
    { method: 'POST', path: /^\/(?<tenant>[^/]+)\/oauth2\/v2\.0\/token$/, auth: 'none', handle: token },
  ];
  return { routes, tokens, apiTokens };
}

/**
 * A client assertion is accepted when it is a JWT naming the client as issuer and subject. Neither the
 * signature (the simulator holds no certificate of the app) nor the expiry (the simulator's clock may be
 * far from the client's) is checked.
 */
function assertionNamesClient(assertion: string, clientId: string): boolean {
  const parts = assertion.split('.');
  if (parts.length !== 3) return false;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return payload.iss === clientId && payload.sub === clientId;
  } catch {
    return false;
  }
}
