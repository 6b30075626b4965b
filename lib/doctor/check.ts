/** One finding of `qrn doctor`: the doctor and each of its checks (lib/doctor/*-check.ts) speak it. */

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}
