import { MemoryState } from '../../../lib/store/memory/state';
import { StateStore } from '../../../lib/store/state-store';
import { openTestTables } from '../../support/snapshot-world';
import { stateContract } from '../contracts/state.contract';

stateContract(
  'table-backed (Azurite)',
  async (clock) => new StateStore((await openTestTables('sc')).state, clock),
);
stateContract('in memory', async (clock) => new MemoryState(clock));
