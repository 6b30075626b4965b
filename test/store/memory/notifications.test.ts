import { MemoryNotifications } from '../../../lib/store/memory/notifications';
import { NotificationsStore } from '../../../lib/store/notifications-store';
import { openTestTables } from '../../support/snapshot-world';
import { notificationsContract } from '../contracts/notifications.contract';

notificationsContract(
  'table-backed (Azurite)',
  async () => new NotificationsStore((await openTestTables('nc')).notifications),
);
notificationsContract('in memory', async () => new MemoryNotifications());
