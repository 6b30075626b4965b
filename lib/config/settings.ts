import { readFileSync } from 'node:fs';
import { z } from 'zod';
import alertCatalogue from './alerts.json';
import { languageForLocale, LANGUAGES, type Language } from '../mail/i18n';
import { ianaTimeZone } from '../mail/time-zones';
import { readLogo, accentColour, type BrandSettings } from './brand-settings';
import { canonicalAddress } from '../core/address';

/**
 * Every setting the app reads, validated once at start. Nothing else in the code base reads
 * `process.env`: jobs, clients and entry points receive a `Settings` object from here.
 *
 * The catalogue below is the single source of truth for names, defaults and meanings: the README's
 * settings table, local.settings.sample.json and the infrastructure's app settings are tested against it.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;
/** Six-field NCRONTAB (seconds first), as Azure Functions timers expect. */
const NCRONTAB = /^\s*(\S+\s+){5}\S+\s*$/;

const httpsUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      return new URL(v).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an https:// URL')
  .transform((v) => v.replace(/\/+$/, ''));

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes'].includes(v));

const count = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

const list = z.string().transform((v) =>
  v
    .split(/[,;\s]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean),
);

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v));

interface SettingSpec {
  name: string;
  /** The default as written in an app setting; undefined when the setting is optional or required. */
  default?: string;
  required?: boolean;
  meaning: string;
  /** How to fix a bad value, appended to the error message. */
  fix: string;
  schema: z.ZodType;
}

export const SETTINGS_CATALOGUE: readonly SettingSpec[] = [
  {
    name: 'AZURE_TENANT_ID',
    required: true,
    meaning: 'The Microsoft 365 tenant (directory) id whose quarantine and audit log are read.',
    fix: 'set it to the tenant id GUID shown in Entra ID > Overview',
    schema: z
      .string()
      .trim()
      .regex(GUID, 'must be a GUID')
      .transform((v) => v.toLowerCase()),
  },
  {
    name: 'AZURE_CLIENT_ID',
    meaning:
      'Client id of the user-assigned managed identity in Azure, or of the app registration for local runs against a real tenant.',
    fix: 'set it to the client (application) id GUID of the identity',
    schema: z.string().trim().regex(GUID, 'must be a GUID'),
  },
  {
    name: 'AZURE_CLIENT_SECRET',
    meaning: 'Local runs only: a client secret of the app registration named by AZURE_CLIENT_ID.',
    fix: 'remove it in Azure (the managed identity needs no secret), or set AZURE_CLIENT_ID with it',
    schema: z.string().min(1),
  },
  {
    name: 'AZURE_CLIENT_CERTIFICATE_PATH',
    meaning: 'Local runs only: path to a PEM certificate (with private key) of the app registration.',
    fix: 'point it at a readable PEM file, and set AZURE_CLIENT_ID with it',
    schema: z.string().min(1),
  },
  {
    name: 'AZURE_AUTHORITY_HOST',
    default: 'https://login.microsoftonline.com',
    meaning: 'Microsoft Entra authority host (national clouds, or the local simulator).',
    fix: 'use an https:// URL such as https://login.microsoftonline.us',
    schema: httpsUrl,
  },
  {
    name: 'EXCHANGE_ADMIN_API_URL',
    default: 'https://outlook.office365.com',
    meaning: 'Exchange Online admin API host; its /.default scope is the token audience.',
    fix: 'use an https:// URL such as https://outlook.office365.com',
    schema: httpsUrl,
  },
  {
    name: 'GRAPH_API_URL',
    default: 'https://graph.microsoft.com',
    meaning: 'Microsoft Graph host (audit log queries, domains, sendMail).',
    fix: 'use an https:// URL such as https://graph.microsoft.com',
    schema: httpsUrl,
  },
  {
    name: 'AUDIT_API_VERSION',
    default: 'v1.0',
    meaning: 'Graph version for audit log queries; a 404 on v1.0 falls back to beta.',
    fix: 'use v1.0 or beta',
    schema: z.enum(['v1.0', 'beta']),
  },
  {
    name: 'API_SIGN_IN',
    default: 'entra',
    meaning:
      "GET /api/releases: 'entra' requires an Entra ID token with the API_ROLE app role; 'off-loopback' spares a connection from this machine the token where the app sees the connection, which the Functions host never shows it (local runs only, refused in Azure).",
    fix: 'use entra, or off-loopback on a development machine',
    schema: z.enum(['entra', 'off-loopback']),
  },
  {
    name: 'API_AUDIENCE',
    meaning:
      "The releases API's app registration: its Application ID URI (api://…) or client id, which tokens must name as audience. Unset: the releases API answers 503.",
    fix: 'use the Application ID URI or client id the post-provision step printed',
    schema: z.string().trim().min(1),
  },
  {
    name: 'API_ROLE',
    default: 'Releases.Read',
    meaning: 'The app role a caller of GET /api/releases must hold (assigned in Entra ID).',
    fix: 'use the app role value, such as Releases.Read',
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._-]{1,120}$/, 'must be an app role value'),
  },
  {
    name: 'API_JWKS_URL',
    meaning:
      "Where the token-signing keys are read (default: AZURE_AUTHORITY_HOST/<tenant>/discovery/v2.0/keys, the tenant's JWKS).",
    fix: 'use an https:// URL',
    schema: httpsUrl,
  },
  {
    name: 'API_ISSUER',
    meaning:
      'The issuer tokens must name (default: AZURE_AUTHORITY_HOST/<tenant>/v2.0, and https://sts.windows.net/<tenant>/ for v1 tokens).',
    fix: 'use the issuer of your tenant’s tokens',
    // Kept exactly as written: an issuer is compared as a string, trailing slash included.
    schema: z
      .string()
      .trim()
      .regex(/^https:\/\/\S+$/, 'must be an https:// URL'),
  },
  {
    name: 'AzureWebJobsStorage',
    meaning:
      "The Functions host storage; the app's tables live there unless TABLES_CONNECTION_STRING or TABLES_ACCOUNT_URL is set. Identity-based form: AzureWebJobsStorage__tableServiceUri.",
    fix: 'set a storage connection string, UseDevelopmentStorage=true for Azurite, or the identity-based AzureWebJobsStorage__tableServiceUri',
    schema: z.string().trim().min(1),
  },
  {
    name: 'AzureWebJobsStorage__tableServiceUri',
    meaning: 'Identity-based host storage: the table service URL, reached with the managed identity.',
    fix: 'use the https://<account>.table.core.windows.net URL',
    schema: httpsUrl,
  },
  {
    name: 'TABLES_CONNECTION_STRING',
    meaning: "A dedicated storage connection string for the app's tables (overrides AzureWebJobsStorage).",
    fix: 'use a storage account connection string',
    schema: z.string().trim().min(1),
  },
  {
    name: 'TABLES_ACCOUNT_URL',
    meaning:
      "A dedicated table service URL for the app's tables, reached with the managed identity (overrides AzureWebJobsStorage).",
    fix: 'use the https://<account>.table.core.windows.net URL',
    schema: httpsUrl,
  },
  {
    name: 'TABLE_NAME_PREFIX',
    default: 'qrn',
    meaning: 'Prefix of the four tables (quarantine, releases, notifications, state).',
    fix: 'use 1 to 40 letters and digits, starting with a letter',
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, 'must be letters and digits, starting with a letter'),
  },
  {
    name: 'SNAPSHOT_SCHEDULE',
    default: '0 */15 * * * *',
    meaning: 'NCRONTAB schedule (UTC, six fields) of the snapshot timer.',
    fix: 'use six NCRONTAB fields, for example "0 */15 * * * *"',
    schema: z.string().regex(NCRONTAB, 'must have six NCRONTAB fields'),
  },
  {
    name: 'NOTIFY_SCHEDULE',
    default: '0 5-59/15 * * * *',
    meaning: 'NCRONTAB schedule (UTC, six fields) of the notify timer, offset from the snapshot.',
    fix: 'use six NCRONTAB fields, for example "0 5-59/15 * * * *"',
    schema: z.string().regex(NCRONTAB, 'must have six NCRONTAB fields'),
  },
  {
    name: 'SNAPSHOT_OVERLAP_MINUTES',
    default: '60',
    meaning: 'How far each snapshot window reaches back before the last completed one, for late-listed rows.',
    fix: 'use a whole number of minutes between 0 and 1440',
    schema: count(0, 1440),
  },
  {
    name: 'QUARANTINE_PURGE_GRACE_DAYS',
    default: '30',
    meaning: 'Days a snapshot row is kept after its quarantine expiry, so late audit records still join.',
    fix: 'use a whole number of days between 0 and 365',
    schema: count(0, 365),
  },
  {
    name: 'RELEASES_RETENTION_DAYS',
    default: '180',
    meaning:
      'Days the releases table (the report) and the notifications table keep a settled release or email; pending ones are kept until settled. 180 matches Audit Standard retention.',
    fix: 'use a whole number of days between 7 and 3650',
    schema: count(7, 3650),
  },
  {
    name: 'ACCEPTED_DOMAINS',
    meaning:
      "The tenant's own domains, comma separated, instead of asking Exchange (Get-AcceptedDomain) or Graph (/domains). A leading '*.' also matches subdomains.",
    fix: 'list domains separated by commas, for example contoso.com,*.contoso.com',
    schema: list,
  },
  {
    name: 'AUDIT_LOOKBACK_HOURS',
    default: '24',
    meaning:
      'Trailing window each audit query covers, so late audit records are still found (capped at 7 days).',
    fix: 'use a whole number of hours between 1 and 168',
    schema: count(1, 168),
  },
  {
    name: 'AUDIT_QUERY_POLL_SECONDS',
    default: '240',
    meaning: 'How long one notify run waits for an audit query to finish before carrying it to the next run.',
    fix: 'use a whole number of seconds between 0 and 540',
    schema: count(0, 540),
  },
  {
    name: 'AUDIT_QUERY_STUCK_MINUTES',
    default: '180',
    meaning: 'An audit query still unfinished after this long is abandoned and recreated.',
    fix: 'use a whole number of minutes between 15 and 1440',
    schema: count(15, 1440),
  },
  {
    name: 'RELEASE_SOURCES',
    default: 'both',
    meaning:
      "Where releases are learned: 'audit' (the audit log), 'quarantine' (the quarantine's own release status, fastest), or 'both'.",
    fix: 'use audit, quarantine or both',
    schema: z.enum(['audit', 'quarantine', 'both']),
  },
  {
    name: 'RELEASE_MATCH_DEADLINE_HOURS',
    default: '48',
    meaning:
      'How long a release waits for its message to appear in the snapshot before it is marked unmatched.',
    fix: 'use a whole number of hours between 1 and 720',
    schema: count(1, 720),
  },
  {
    name: 'NOTIFY_SYSTEM_RELEASES',
    default: 'true',
    meaning:
      'Tell senders about releases made automatically by Microsoft 365 (SystemReleased, "System release"); ' +
      "a release by an app through the admin API (SystemMailbox) is an administrator's and always told.",
    fix: 'use true or false',
    schema: flag,
  },
  {
    name: 'EMAIL_CHANNEL',
    default: 'acs',
    meaning:
      "How notifications are sent: 'acs' (Azure Communication Services Email) or 'graph' (sendMail from a mailbox).",
    fix: 'use acs or graph',
    schema: z.enum(['acs', 'graph']),
  },
  {
    name: 'ACS_ENDPOINT',
    meaning: 'Communication Services endpoint, reached with the managed identity.',
    fix: 'use the https://<resource>.communication.azure.com URL',
    schema: httpsUrl,
  },
  {
    name: 'ACS_CONNECTION_STRING',
    meaning:
      'Communication Services connection string (endpoint=...;accesskey=...), instead of ACS_ENDPOINT.',
    fix: 'copy the connection string from the Communication Services resource, Keys blade',
    schema: z
      .string()
      .trim()
      .regex(/endpoint=https:\/\/[^;]+;\s*accesskey=.+/i, 'must be endpoint=https://...;accesskey=...'),
  },
  {
    name: 'EMAIL_SENDER_ADDRESS',
    meaning:
      "The From address of notifications: the ACS domain's sender (ACS) or the sending mailbox (Graph).",
    fix: 'use an address such as DoNotReply@<guid>.azurecomm.net',
    schema: z.string().trim().regex(EMAIL, 'must be an email address'),
  },
  {
    name: 'EMAIL_SENDER_DISPLAY_NAME',
    default: 'Mail quarantine',
    meaning:
      'The name that signs every email. Left at its default it reads "<EMAIL_ORGANISATION_NAME> mail quarantine" (or "Mail quarantine"), in the reader\'s language.',
    fix: 'use a short plain-text name',
    schema: z.string().trim().max(100, 'must be at most 100 characters'),
  },
  {
    name: 'EMAIL_DEFAULT_LANGUAGE',
    default: 'en',
    meaning: `Language of emails to senders whose mailbox language is unknown or not one of: ${LANGUAGES.join(', ')}.`,
    fix: `use one of ${LANGUAGES.join(', ')}`,
    schema: z
      .string()
      .trim()
      .transform((v, ctx) => {
        const language = languageForLocale(v);
        if (!language)
          ctx.addIssue({ code: 'custom', message: 'is not a language the emails are written in' });
        return language as Language;
      }),
  },
  {
    name: 'EMAIL_DEFAULT_TIME_ZONE',
    default: 'UTC',
    meaning:
      'Time zone of emails to senders whose mailbox time zone is unknown: an IANA name (Europe/Berlin) or a Windows name (W. Europe Standard Time).',
    fix: 'use an IANA time zone such as Europe/Berlin, or a Windows name such as W. Europe Standard Time',
    schema: z
      .string()
      .trim()
      .transform((v, ctx) => {
        const zone = ianaTimeZone(v);
        if (!zone) ctx.addIssue({ code: 'custom', message: 'is not a known time zone' });
        return zone as string;
      }),
  },
  {
    name: 'EMAIL_ORGANISATION_NAME',
    meaning: "Your organisation's name, shown at the top of every email and in its signature.",
    fix: 'use plain text of at most 100 characters on one line',
    schema: z
      .string()
      .trim()
      .max(100, 'must be at most 100 characters')
      .refine(
        // eslint-disable-next-line no-control-regex
        (v) => !/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(v),
        'must be one line of plain text',
      )
      .pipe(optionalText),
  },
  {
    name: 'EMAIL_LOGO',
    meaning:
      'Your logo at the top of every email: an https:// URL, or the path of a PNG, JPEG or GIF file (at most 100 KB) sent inside each email, so it shows even where remote images are blocked.',
    fix: 'use an https:// URL or the path of a PNG, JPEG or GIF file of at most 100 KB',
    schema: z
      .string()
      .trim()
      .transform((v, ctx) => {
        const logo = readLogo(v);
        if ('problem' in logo) {
          ctx.addIssue({ code: 'custom', message: logo.problem });
          return z.NEVER;
        }
        return logo;
      }),
  },
  {
    name: 'EMAIL_ACCENT_COLOUR',
    meaning:
      "Accent colour of the email's header bar and headings, as #rrggbb; it must be dark enough to read on white.",
    fix: 'use a colour such as #0f6cbd whose contrast with white is at least 3:1',
    schema: z
      .string()
      .trim()
      .transform((v, ctx) => {
        const colour = accentColour(v);
        if ('problem' in colour) {
          ctx.addIssue({ code: 'custom', message: colour.problem });
          return z.NEVER;
        }
        return colour.value;
      }),
  },
  {
    name: 'EMAIL_SUPPORT_CONTACT',
    meaning: 'Who senders should contact with questions (an address or a sentence), shown in every email.',
    fix: 'use plain text of at most 200 characters',
    schema: z.string().trim().max(200, 'must be at most 200 characters').pipe(optionalText),
  },
  {
    name: 'EMAIL_DISCLAIMER',
    meaning: 'A closing paragraph added to every email.',
    fix: 'use plain text of at most 1000 characters',
    schema: z.string().trim().max(1000, 'must be at most 1000 characters').pipe(optionalText),
  },
  {
    name: 'EMAIL_HIDE_RELEASER',
    default: 'false',
    meaning: 'Leave out who released the message (senders then read "an administrator").',
    fix: 'use true or false',
    schema: flag,
  },
  {
    name: 'MAX_EMAILS_PER_RUN',
    default: '5',
    meaning:
      "Cap on emails sent by one notify run (ACS's Azure-managed domain allows 5 a minute, 10 an hour).",
    fix: 'use a whole number between 1 and 1000',
    schema: count(1, 1000),
  },
  {
    name: 'MAX_SEND_ATTEMPTS',
    default: '5',
    meaning: 'Failed sends are retried on later runs up to this many attempts, then marked failed.',
    fix: 'use a whole number between 1 and 50',
    schema: count(1, 50),
  },
  {
    name: 'NOTIFY_DRY_RUN',
    default: 'false',
    meaning: 'Pilot: compose and record every notification, send nothing.',
    fix: 'use true or false',
    schema: flag,
  },
  {
    name: 'NOTIFY_REDIRECT_TO',
    meaning: 'Pilot: send every notification to this administrator address instead of the sender.',
    fix: 'use one email address',
    // The canonical form (lib/core/address.ts) is what is sent to.
    schema: z
      .string()
      .trim()
      .transform(
        (v, ctx) =>
          canonicalAddress(v) ??
          (ctx.addIssue({ code: 'custom', message: 'must be an email address' }), z.NEVER),
      ),
  },
  {
    name: 'NOTIFY_ALLOWED_SENDERS',
    meaning: 'Pilot: only notify these senders (addresses, or domains such as contoso.com), comma separated.',
    fix: 'list addresses or domains separated by commas',
    schema: list,
  },
  {
    name: 'LOG_PERSONAL_DATA',
    default: 'false',
    meaning: 'Allow subjects and addresses in logs (off: logs carry ids and counts only).',
    fix: 'use true or false',
    schema: flag,
  },
  {
    name: 'FLEET_APP_CLIENT_ID',
    meaning:
      "Many tenants: the multi-tenant app registration's client id; it signs in to each customer tenant with the managed identity as its federated credential.",
    fix: 'set it to the client (application) id GUID of the multi-tenant app registration',
    schema: z
      .string()
      .trim()
      .regex(GUID, 'must be a GUID')
      .transform((v) => v.toLowerCase()),
  },
  {
    name: 'FLEET_ASSERTION_AUDIENCE',
    default: 'api://AzureADTokenExchange',
    meaning:
      "Many tenants: the audience of the managed identity's token that signs the app in to customer tenants (national clouds have their own).",
    fix: 'use api://AzureADTokenExchange (or your cloud’s, such as api://AzureADTokenExchangeUSGov)',
    schema: z
      .string()
      .trim()
      .regex(/^api:\/\/\S+$/, 'must be an api:// URI'),
  },
  {
    name: 'AzureWebJobsStorage__queueServiceUri',
    meaning:
      "Identity-based host storage: the queue service URL, where each tenant's run waits (many tenants only).",
    fix: 'use the https://<account>.queue.core.windows.net URL',
    schema: httpsUrl,
  },
  {
    name: 'ALERT_NO_SUCCESS_MINUTES',
    default: String(alertCatalogue.noSuccessMinutesDefault),
    meaning:
      'A job with no successful run for longer than this is reported: by the Azure alert (azd parameter alertNoSuccessMinutes) and by `qrn doctor`.',
    fix: 'use a whole number of minutes between 15 and 1440',
    schema: count(15, 1440),
  },
];

export interface Settings {
  tenantId: string;
  credentials: {
    clientId?: string;
    clientSecret?: string;
    certificatePath?: string;
    authorityHost: string;
  };
  exchangeAdminApiUrl: string;
  graphApiUrl: string;
  auditApiVersion: 'v1.0' | 'beta';
  tables: TableStorageSettings;
  tableNamePrefix: string;
  schedules: { snapshot: string; notify: string };
  snapshot: { overlapMinutes: number; purgeGraceDays: number };
  acceptedDomains?: string[];
  audit: { lookbackHours: number; pollSeconds: number; stuckMinutes: number };
  releaseSources: 'audit' | 'quarantine' | 'both';
  matchDeadlineHours: number;
  releasesRetentionDays: number;
  notifySystemReleases: boolean;
  email: EmailSettings;
  pilot: { dryRun: boolean; redirectTo?: string; allowedSenders?: string[] };
  logPersonalData: boolean;
  /** The thresholds the alerts and `qrn doctor` share (lib/config/alerts.json). */
  alerts: { noSuccessMinutes: number };
  /** Many tenants (docs/architecture.md#many-tenants): how the deployment reaches customer tenants. */
  fleet: FleetSettings;
  /** Who may read GET /api/releases (lib/entrypoints/sign-in.ts). */
  api: {
    signIn: 'entra' | 'off-loopback';
    audience?: string;
    role: string;
    jwksUrl: string;
    issuers: string[];
    /**
     * App Service authentication fronts the app: the platform sets WEBSITE_AUTH_ENABLED, and then it alone
     * sets X-MS-CLIENT-PRINCIPAL (lib/entrypoints/platform-sign-in.ts).
     */
    platformSignIn: boolean;
  };
}

export interface FleetSettings {
  /** The multi-tenant app registration; undefined: only the deployment's own tenant is served. */
  appClientId?: string;
  assertionAudience: string;
  /** Where tenant runs are queued: the host storage's queue service; undefined when it has none. */
  queues?: QueueStorageSettings;
}

export type QueueStorageSettings =
  { kind: 'connectionString'; connectionString: string } | { kind: 'accountUrl'; accountUrl: string };

export type TableStorageSettings =
  { kind: 'connectionString'; connectionString: string } | { kind: 'accountUrl'; accountUrl: string };

export interface EmailSettings {
  channel: 'acs' | 'graph';
  acs?: { kind: 'endpoint'; endpoint: string } | { kind: 'connectionString'; connectionString: string };
  senderAddress: string;
  /** Undefined: "<organisation> mail quarantine" in the reader's language. */
  senderDisplayName?: string;
  /** The language and time zone of readers whose mailbox settings are unknown. */
  defaultLanguage?: Language;
  defaultTimeZone?: string;
  brand?: BrandSettings;
  supportContact?: string;
  disclaimer?: string;
  hideReleaser: boolean;
  maxPerRun: number;
  maxAttempts: number;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `The app cannot start: ${problems.length} setting${problems.length === 1 ? ' is' : 's are'} missing or invalid.\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSet them as app settings in Azure, or in local.settings.json (Values) when running locally; the README lists every setting.',
    );
    this.name = 'SettingsError';
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Merges the process environment over local.settings.json `Values`, as the Functions host does
 * locally: a variable already in the environment wins.
 */
export function readEnvironment(options: { localSettingsPath?: string } = {}): Environment {
  const merged: Record<string, string | undefined> = {};
  if (options.localSettingsPath) {
    let text: string | undefined;
    try {
      text = readFileSync(options.localSettingsPath, 'utf8');
    } catch {
      text = undefined; // no local settings file: the environment alone
    }
    if (text !== undefined) {
      let values: unknown;
      try {
        values = (JSON.parse(text) as { Values?: unknown }).Values;
      } catch (error) {
        throw new SettingsError([
          `${options.localSettingsPath} is not valid JSON: ${(error as Error).message}`,
        ]);
      }
      if (values && typeof values === 'object') {
        for (const [key, value] of Object.entries(values)) {
          if (value !== null && value !== undefined) merged[key] = String(value);
        }
      }
    }
  }
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** Validates every setting at once and throws one SettingsError naming every problem. */
export function loadSettings(env: Environment): Settings {
  const problems: string[] = [];
  const values = new Map<string, unknown>();

  for (const spec of SETTINGS_CATALOGUE) {
    const raw = env[spec.name];
    const given = raw !== undefined && raw.trim() !== '';
    if (!given) {
      if (spec.required) problems.push(`${spec.name} is missing: ${spec.fix}. (${spec.meaning})`);
      const fallback = spec.default;
      if (fallback !== undefined) values.set(spec.name, spec.schema.parse(fallback));
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) values.set(spec.name, parsed.data);
    else problems.push(`${spec.name} ${parsed.error.issues[0]?.message ?? 'is invalid'}: ${spec.fix}.`);
  }

  const get = <T>(name: string) => values.get(name) as T;

  // Settings that only make sense together.
  if (
    (values.has('AZURE_CLIENT_SECRET') || values.has('AZURE_CLIENT_CERTIFICATE_PATH')) &&
    !values.has('AZURE_CLIENT_ID')
  ) {
    problems.push(
      'AZURE_CLIENT_ID is missing: a client secret or certificate needs the client id of its app registration.',
    );
  }
  if (values.has('AZURE_CLIENT_SECRET') && values.has('AZURE_CLIENT_CERTIFICATE_PATH')) {
    problems.push(
      'AZURE_CLIENT_SECRET and AZURE_CLIENT_CERTIFICATE_PATH are both set: keep only one of them.',
    );
  }

  if (get('API_SIGN_IN') === 'off-loopback' && env.WEBSITE_SITE_NAME) {
    problems.push(
      'API_SIGN_IN is off-loopback in Azure: the releases API must require sign-in there; use entra.',
    );
  }

  const tables = resolveTableStorage(values);
  if (!tables) {
    problems.push(
      'AzureWebJobsStorage is missing: set a storage connection string (UseDevelopmentStorage=true for Azurite), AzureWebJobsStorage__tableServiceUri, TABLES_CONNECTION_STRING or TABLES_ACCOUNT_URL.',
    );
  }

  const channel = get<'acs' | 'graph'>('EMAIL_CHANNEL');
  let acs: EmailSettings['acs'];
  if (values.has('ACS_CONNECTION_STRING')) {
    acs = { kind: 'connectionString', connectionString: get<string>('ACS_CONNECTION_STRING') };
  } else if (values.has('ACS_ENDPOINT')) {
    acs = { kind: 'endpoint', endpoint: get<string>('ACS_ENDPOINT') };
  }
  if (channel === 'acs' && !acs && !problems.some((p) => p.startsWith('ACS_'))) {
    problems.push(
      'ACS_ENDPOINT is missing: set the Communication Services endpoint (or ACS_CONNECTION_STRING), or choose EMAIL_CHANNEL=graph.',
    );
  }
  if (!values.has('EMAIL_SENDER_ADDRESS') && !problems.some((p) => p.startsWith('EMAIL_SENDER_ADDRESS'))) {
    problems.push(
      channel === 'acs'
        ? 'EMAIL_SENDER_ADDRESS is missing: use the sender of your Communication Services email domain, for example DoNotReply@<guid>.azurecomm.net.'
        : 'EMAIL_SENDER_ADDRESS is missing: use the mailbox that sends notifications through Graph sendMail.',
    );
  }

  if (problems.length > 0) throw new SettingsError(problems);

  const allowed = get<string[] | undefined>('NOTIFY_ALLOWED_SENDERS');
  const domains = get<string[] | undefined>('ACCEPTED_DOMAINS');
  return {
    tenantId: get('AZURE_TENANT_ID'),
    credentials: {
      clientId: get('AZURE_CLIENT_ID'),
      clientSecret: get('AZURE_CLIENT_SECRET'),
      certificatePath: get('AZURE_CLIENT_CERTIFICATE_PATH'),
      authorityHost: get('AZURE_AUTHORITY_HOST'),
    },
    exchangeAdminApiUrl: get('EXCHANGE_ADMIN_API_URL'),
    graphApiUrl: get('GRAPH_API_URL'),
    auditApiVersion: get('AUDIT_API_VERSION'),
    tables: tables!,
    tableNamePrefix: get('TABLE_NAME_PREFIX'),
    schedules: { snapshot: get('SNAPSHOT_SCHEDULE'), notify: get('NOTIFY_SCHEDULE') },
    snapshot: {
      overlapMinutes: get('SNAPSHOT_OVERLAP_MINUTES'),
      purgeGraceDays: get('QUARANTINE_PURGE_GRACE_DAYS'),
    },
    acceptedDomains: domains && domains.length > 0 ? domains : undefined,
    audit: {
      lookbackHours: get('AUDIT_LOOKBACK_HOURS'),
      pollSeconds: get('AUDIT_QUERY_POLL_SECONDS'),
      stuckMinutes: get('AUDIT_QUERY_STUCK_MINUTES'),
    },
    releaseSources: get('RELEASE_SOURCES'),
    matchDeadlineHours: get('RELEASE_MATCH_DEADLINE_HOURS'),
    releasesRetentionDays: get('RELEASES_RETENTION_DAYS'),
    notifySystemReleases: get('NOTIFY_SYSTEM_RELEASES'),
    email: {
      channel,
      acs,
      senderAddress: get('EMAIL_SENDER_ADDRESS'),
      // Left at its default, the signature is worded in each reader's language.
      senderDisplayName:
        get('EMAIL_SENDER_DISPLAY_NAME') === 'Mail quarantine' ? undefined : get('EMAIL_SENDER_DISPLAY_NAME'),
      defaultLanguage: get('EMAIL_DEFAULT_LANGUAGE'),
      defaultTimeZone: get('EMAIL_DEFAULT_TIME_ZONE'),
      brand: {
        organisationName: get('EMAIL_ORGANISATION_NAME'),
        logo: get('EMAIL_LOGO'),
        accentColour: get('EMAIL_ACCENT_COLOUR'),
      },
      supportContact: get('EMAIL_SUPPORT_CONTACT'),
      disclaimer: get('EMAIL_DISCLAIMER'),
      hideReleaser: get('EMAIL_HIDE_RELEASER'),
      maxPerRun: get('MAX_EMAILS_PER_RUN'),
      maxAttempts: get('MAX_SEND_ATTEMPTS'),
    },
    pilot: {
      dryRun: get('NOTIFY_DRY_RUN'),
      redirectTo: get('NOTIFY_REDIRECT_TO'),
      allowedSenders: allowed && allowed.length > 0 ? allowed : undefined,
    },
    logPersonalData: get('LOG_PERSONAL_DATA'),
    alerts: { noSuccessMinutes: get('ALERT_NO_SUCCESS_MINUTES') },
    fleet: {
      appClientId: get('FLEET_APP_CLIENT_ID'),
      assertionAudience: get('FLEET_ASSERTION_AUDIENCE'),
      queues: resolveQueueStorage(values),
    },
    api: apiSettings(values, env),
  };
}

function apiSettings(values: Map<string, unknown>, env: Environment): Settings['api'] {
  const text = (name: string) => values.get(name) as string | undefined;
  const authority = (text('AZURE_AUTHORITY_HOST') ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const tenant = text('AZURE_TENANT_ID') ?? '';
  const issuer = text('API_ISSUER');
  return {
    signIn: values.get('API_SIGN_IN') as 'entra' | 'off-loopback',
    audience: text('API_AUDIENCE'),
    role: text('API_ROLE') ?? 'Releases.Read',
    jwksUrl: text('API_JWKS_URL') ?? `${authority}/${tenant}/discovery/v2.0/keys`,
    issuers: issuer ? [issuer] : [`${authority}/${tenant}/v2.0`, `https://sts.windows.net/${tenant}/`],
    platformSignIn: env.WEBSITE_AUTH_ENABLED?.trim().toLowerCase() === 'true',
  };
}

function resolveTableStorage(values: Map<string, unknown>): TableStorageSettings | undefined {
  const text = (name: string) => values.get(name) as string | undefined;
  const dedicatedConnection = text('TABLES_CONNECTION_STRING');
  if (dedicatedConnection) return { kind: 'connectionString', connectionString: dedicatedConnection };
  const dedicatedUrl = text('TABLES_ACCOUNT_URL');
  if (dedicatedUrl) return { kind: 'accountUrl', accountUrl: dedicatedUrl };
  const hostConnection = text('AzureWebJobsStorage');
  if (hostConnection) return { kind: 'connectionString', connectionString: hostConnection };
  const hostUrl = text('AzureWebJobsStorage__tableServiceUri');
  if (hostUrl) return { kind: 'accountUrl', accountUrl: hostUrl };
  return undefined;
}

/** The queue trigger's connection is the host storage (AzureWebJobsStorage), as the Functions host reads it. */
function resolveQueueStorage(values: Map<string, unknown>): QueueStorageSettings | undefined {
  const connectionString = values.get('AzureWebJobsStorage') as string | undefined;
  if (connectionString) return { kind: 'connectionString', connectionString };
  const accountUrl = values.get('AzureWebJobsStorage__queueServiceUri') as string | undefined;
  if (accountUrl) return { kind: 'accountUrl', accountUrl };
  return undefined;
}

/** True when the tables setting is the local development storage (Azurite). */
export function usesDevelopmentStorage(env: Environment): boolean {
  const value = (env.TABLES_CONNECTION_STRING ?? env.AzureWebJobsStorage ?? '').trim();
  return /^UseDevelopmentStorage=true/i.test(value) || /127\.0\.0\.1|localhost/.test(value);
}

/** What `qrn permissions` needs: it signs in as an administrator and talks to Graph only. */
export interface DirectorySettings {
  /** Optional: the sign-in's own tenant is used when absent. */
  tenantId?: string;
  authorityHost: string;
  graphApiUrl: string;
  emailChannel: 'acs' | 'graph';
  /** The multi-tenant app registration whose service principal `--tenant` grants to. */
  fleetAppClientId?: string;
}

/**
 * Validates only the settings `qrn permissions` reads, so that it runs in a deployment step where the
 * app's other settings (storage, email sender) are not in the environment.
 */
export function loadDirectorySettings(env: Environment): DirectorySettings {
  const problems: string[] = [];
  const value = <T>(name: string): T | undefined => {
    const spec = SETTINGS_CATALOGUE.find((s) => s.name === name) as SettingSpec;
    const raw = env[name];
    const text = raw !== undefined && raw.trim() !== '' ? raw : spec.default;
    if (text === undefined) return undefined;
    const parsed = spec.schema.safeParse(text);
    if (parsed.success) return parsed.data as T;
    problems.push(`${name} ${parsed.error.issues[0]?.message ?? 'is invalid'}: ${spec.fix}.`);
    return undefined;
  };
  const settings = {
    tenantId: value<string>('AZURE_TENANT_ID'),
    authorityHost: value<string>('AZURE_AUTHORITY_HOST') as string,
    graphApiUrl: value<string>('GRAPH_API_URL') as string,
    emailChannel: value<'acs' | 'graph'>('EMAIL_CHANNEL') as 'acs' | 'graph',
    fleetAppClientId: value<string>('FLEET_APP_CLIENT_ID'),
  };
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}
