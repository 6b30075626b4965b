import type { RunningAzurite } from '../../lib/local/azurite';

export default async function globalTeardown(): Promise<void> {
  const running = globalThis as { __azurite?: RunningAzurite; __azuriteQueues?: RunningAzurite };
  await Promise.all([running.__azurite?.stop(), running.__azuriteQueues?.stop()]);
}
