import { ManualClock } from '../../../lib/core/clock';
import { MemoryQuarantine } from '../../../lib/store/memory/quarantine';
import { QuarantineStore } from '../../../lib/store/quarantine-store';
import { openTestTables } from '../../support/snapshot-world';
import { quarantineContract } from '../contracts/quarantine.contract';

quarantineContract(
  'table-backed (Azurite)',
  async () => new QuarantineStore((await openTestTables('qc')).quarantine, { clock: new ManualClock() }),
);
quarantineContract('in memory', async () => new MemoryQuarantine());
