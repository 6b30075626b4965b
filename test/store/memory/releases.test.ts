import { MemoryReleases } from '../../../lib/store/memory/releases';
import { ReleasesStore } from '../../../lib/store/releases-store';
import { openTestTables } from '../../support/snapshot-world';
import { releasesContract } from '../contracts/releases.contract';

releasesContract(
  'table-backed (Azurite)',
  async () => new ReleasesStore((await openTestTables('rc')).releases),
);
releasesContract('in memory', async () => new MemoryReleases());
