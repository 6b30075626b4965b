/** The mail stage of the pipeline: compose the notification, send it through the configured channel. */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { TokenCredential } from '@azure/identity';
import type { EmailSettings } from '../config/settings';
import type { Logger } from '../core/log';
import { createAcsChannel } from './acs-channel';
import { createGraphChannel } from './graph-channel';
import type { EmailChannel } from './channel';

export * from './channel';
export * from './compose';
export { createAcsChannel } from './acs-channel';
export { createGraphChannel } from './graph-channel';

/** The channel EMAIL_CHANNEL names: ACS (default) with the managed identity or a connection string, or Graph. */
export function createEmailChannel(
  settings: EmailSettings,
  clients: { credential: TokenCredential; graph?: Client; logger?: Logger; timeoutMs?: number },
): EmailChannel {
  if (settings.channel === 'graph') {
    if (!clients.graph) throw new Error('EMAIL_CHANNEL=graph needs a Graph client.');
    return createGraphChannel(clients.graph, settings.senderAddress, { timeoutMs: clients.timeoutMs });
  }
  return createAcsChannel(settings, clients.credential, {
    logger: clients.logger,
    timeoutMs: clients.timeoutMs,
  });
}
