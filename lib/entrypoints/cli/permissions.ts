import type { Command } from 'commander';
import { loadDirectorySettings } from '../../config/settings';
import { createAdministratorCredential, createDirectoryClient } from '../../composition';
import { tenantIdOf } from '../../fleet/tenant-settings';
import {
  consentedAppPrincipalId,
  grantPermissions,
  isGuid,
  PermissionsError,
  type Grant,
  type PermissionsResult,
} from '../../permissions/permissions';
import { EXIT, type CliRun } from './context';

interface PermissionsOptions {
  principalId?: string;
  tenant?: string;
  mailSend?: boolean;
  mailboxSettings?: boolean;
  whatIf?: boolean;
  waitSeconds: string;
}

const MARK: Record<Grant['state'], string> = {
  present: '[present]      ',
  granted: '[granted]      ',
  'would grant': '[would grant]  ',
  'not requested': '[not requested]',
  failed: '[FAILED]       ',
};

/** The plan or its outcome, one line per permission, with each failure's fix. */
export function formatPermissions(
  result: PermissionsResult,
  mailSend: boolean,
  mailboxSettings = false,
): string {
  const p = result.principal;
  const kind = p.servicePrincipalType === 'ManagedIdentity' ? 'managed identity' : 'service principal';
  const lines = [
    `${result.whatIf ? 'Plan for' : 'Permissions of'} ${kind} "${p.displayName ?? p.id}" (principal id ${p.id}, client id ${p.appId ?? 'unknown'}):`,
  ];
  for (const grant of result.grants) {
    lines.push(`  ${MARK[grant.state]} ${grant.label}${grant.note ? `: ${grant.note}` : ''}`);
    if (grant.error) lines.push(`                    ${grant.error}`);
    if (grant.fix) lines.push(`                    fix: ${grant.fix}`);
  }
  const count = (state: Grant['state']) => result.grants.filter((g) => g.state === state).length;
  if (result.whatIf) {
    lines.push(
      `What if: ${count('would grant')} to grant, ${count('present')} already present. Nothing was changed.`,
    );
  } else {
    lines.push(
      `${count('granted')} granted, ${count('present')} already present${count('failed') ? `, ${count('failed')} failed` : ''}.` +
        (count('granted') > 0
          ? ' New permissions reach the app within minutes (its cached tokens lack them until they expire).'
          : ''),
    );
  }
  if (mailSend && result.grants.some((g) => g.key === 'mailSend' && g.state !== 'failed')) {
    lines.push(
      '',
      'Mail.Send lets the app send as ANY mailbox of the tenant. Limit it to the sending mailbox, in Exchange Online PowerShell:',
      `  New-ApplicationAccessPolicy -AppId ${p.appId ?? '<client id>'} -PolicyScopeGroupId <sending mailbox or a mail-enabled security group holding it> -AccessRight RestrictAccess -Description "Quarantine release notifier"`,
      `  Test-ApplicationAccessPolicy -AppId ${p.appId ?? '<client id>'} -Identity <sending mailbox>`,
      'or, better, use RBAC for Applications (New-ManagementScope, New-ManagementRoleAssignment -Role "Application Mail.Send")',
      'and remove this tenant-wide Mail.Send grant: a grant in Entra ID applies on top of any Exchange scope.',
    );
  }
  if (mailboxSettings && result.grants.some((g) => g.key === 'mailboxSettings' && g.state !== 'failed')) {
    lines.push(
      '',
      "MailboxSettings.Read lets the app read EVERY mailbox's settings (language, time zone, formats, automatic replies,",
      'working hours), never its mail. To limit it to a group of mailboxes, use RBAC for Applications in Exchange Online',
      '(New-ManagementScope, New-ManagementRoleAssignment -Role "Application MailboxSettings.Read") and remove this',
      'tenant-wide grant: a grant in Entra ID applies on top of any Exchange scope. The README shows the commands.',
    );
  }
  return lines.join('\n') + '\n';
}

/** `permissions`: grants the managed identity what the app needs, through Microsoft Graph, as an admin. */
export function registerPermissions(program: Command, run: CliRun): void {
  program
    .command('permissions')
    .description(
      "Grant the app's managed identity what it needs (AuditLogsQuery.Read.All, Exchange.ManageAsApp, Security Reader; Mail.Send only with --mail-send). Run it as a Privileged Role Administrator.",
    )
    .option('--principal-id <id>', "the managed identity's principal (object) id")
    .option(
      '--tenant <id>',
      "a customer tenant (qrn tenants): grant to the multi-tenant app's service principal there, once consented",
    )
    .option('--mail-send', 'also grant Mail.Send on Microsoft Graph (only for EMAIL_CHANNEL=graph)')
    .option(
      '--mailbox-settings',
      "also grant MailboxSettings.Read (optional): emails in each sender's own language and time zone",
    )
    .option('--what-if', 'print the plan and change nothing')
    .option(
      '--wait-seconds <seconds>',
      'how long to wait for a just-created identity to appear in Graph',
      '120',
    )
    .addHelpText(
      'after',
      `
Signs in as you (Azure CLI: az login --tenant <tenant id>; or the Azure Developer CLI in an azd hook),
never as the app. Running it twice changes nothing the second time. Reads GRAPH_API_URL and
AZURE_TENANT_ID (optional) from the environment.

Examples:
  qrn permissions --principal-id 3c5e1a2b-0000-4000-8000-000000000001 --what-if
  qrn permissions --principal-id 3c5e1a2b-0000-4000-8000-000000000001
  qrn permissions --principal-id 3c5e1a2b-0000-4000-8000-000000000001 --mail-send`,
    )
    .action(async (options: PermissionsOptions) => {
      const wait = Number(options.waitSeconds);
      if (options.principalId === undefined && options.tenant === undefined) {
        run.err(
          "error: required option '--principal-id <id>' not specified (or --tenant <id> for a customer tenant)\n",
        );
        run.exitCode = EXIT.usage;
        return;
      }
      const principalId = options.principalId;
      if ((principalId !== undefined && !isGuid(principalId.trim())) || !Number.isFinite(wait) || wait < 0) {
        run.err(
          principalId !== undefined && !isGuid(principalId.trim())
            ? `--principal-id must be a GUID (the managed identity's principal id), not "${principalId}".\n`
            : `--wait-seconds must be a number of seconds, not "${options.waitSeconds}".\n`,
        );
        run.exitCode = EXIT.usage;
        return;
      }
      const directory = loadDirectorySettings(run.env());
      // A customer tenant: sign in there, and grant to the multi-tenant app's service principal, which
      // the customer's admin consent made (docs/architecture.md#many-tenants).
      const settings = options.tenant ? { ...directory, tenantId: tenantIdOf(options.tenant) } : directory;
      if (options.tenant && !settings.fleetAppClientId) {
        run.err(
          'FLEET_APP_CLIENT_ID is missing: --tenant grants to the multi-tenant app registration it names.\n',
        );
        run.exitCode = EXIT.usage;
        return;
      }
      const credential = run.io.adminCredential ?? createAdministratorCredential(settings);
      const graph = createDirectoryClient(settings, credential);
      const mailSend = options.mailSend === true;
      if (!mailSend && settings.emailChannel === 'graph') {
        run.err(
          'Note: EMAIL_CHANNEL=graph sends through Graph sendMail, which needs Mail.Send: add --mail-send.\n',
        );
      }
      try {
        const result = await grantPermissions(graph, {
          principalId:
            principalId ?? (await consentedAppPrincipalId(graph, settings.fleetAppClientId as string)),
          mailSend,
          mailboxSettings: options.mailboxSettings === true,
          whatIf: options.whatIf === true,
          waitForPrincipalMs: wait * 1000,
          sleep: run.io.sleep,
        });
        run.out(formatPermissions(result, mailSend, options.mailboxSettings === true));
        run.exitCode = result.ok ? EXIT.ok : EXIT.failed;
      } catch (error) {
        if (!(error instanceof PermissionsError)) throw error;
        run.err(`${error.message}\n  fix: ${error.fix}\n`);
        run.exitCode = EXIT.failed;
      }
    });
}
