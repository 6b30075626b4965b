import type { Settings } from '../config/settings';
import type { DiagnosticClients } from '../composition';
import { graphFailure } from '../sources/graph-errors';
import type { Check } from './check';

const NAME = 'Graph: mailbox settings';

/**
 * MailboxSettings.Read is optional: with it each email is in its sender's language and time zone; without
 * it every email uses the tenant defaults. One read of a mailbox the app would write to tells which.
 */
export async function checkMailboxSettings(
  clients: Pick<DiagnosticClients, 'graph'>,
  settings: Settings,
): Promise<Check> {
  const probe =
    settings.pilot.allowedSenders?.find((s) => s.includes('@')) ??
    settings.pilot.redirectTo ??
    settings.email.senderAddress;
  const defaults = `every email is written in ${settings.email.defaultLanguage ?? 'en'} with times in ${settings.email.defaultTimeZone ?? 'UTC'}`;
  try {
    await clients.graph
      .api(`/users/${encodeURIComponent(probe)}/mailboxSettings`)
      .version('v1.0')
      .get();
    return {
      name: NAME,
      status: 'pass',
      detail: "read: each email uses its sender's language and time zone",
    };
  } catch (error) {
    const failure = graphFailure(error);
    if (failure.status === 404) {
      return {
        name: NAME,
        status: 'pass',
        detail: `permitted (${probe} has no mailbox); senders without a mailbox get the defaults`,
      };
    }
    if (failure.status === 403 || failure.status === 401) {
      return {
        name: NAME,
        status: 'warn',
        detail: `MailboxSettings.Read is not granted (optional): ${defaults}`,
        fix: "For each sender's own language and time zone: qrn permissions --principal-id <id> --mailbox-settings",
      };
    }
    return {
      name: NAME,
      status: 'warn',
      detail: `GET mailboxSettings failed (${failure.text}): until it answers, ${defaults}`,
    };
  }
}
