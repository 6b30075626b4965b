import { describeJobOutcome, JOB_OUTCOMES, RUN_OUTCOMES } from '../../lib/core/outcomes';
import { EXIT } from '../../lib/entrypoints/cli/context';
import { EXIT_CODE_OF_OUTCOME } from '../../lib/entrypoints/cli/jobs';

describe('job outcomes', () => {
  it('GIVEN a run that found another holding the lease THEN its code is busy and its sentence the one people read', () => {
    expect(describeJobOutcome('busy')).toBe('another run in progress');
    expect(describeJobOutcome('completed')).toBe('completed');
    expect(describeJobOutcome('failed')).toBe('failed');
  });

  it('GIVEN each outcome code THEN the command line exits by the one table: 0 completed, 1 failed, 3 busy', () => {
    expect(Object.keys(EXIT_CODE_OF_OUTCOME).sort()).toEqual([...JOB_OUTCOMES].sort());
    expect(EXIT_CODE_OF_OUTCOME).toEqual({ completed: EXIT.ok, failed: EXIT.failed, busy: EXIT.busy });
    expect([EXIT.ok, EXIT.failed, EXIT.busy]).toEqual([0, 1, 3]);
  });

  it('GIVEN the run event outcomes THEN they are the codes the alerts read', () => {
    expect(RUN_OUTCOMES).toEqual(['completed', 'partial', 'failed', 'skipped']);
  });
});
