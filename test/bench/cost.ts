/**
 * A month's bill for one tenant, from the bench's measured run durations and counts (issue 17). Prices and
 * the assumptions the bench cannot measure are named inputs; everything else scales from the measures.
 */

/** Prices (US pay-as-you-go list prices, in US dollars) and the date they stand for. */
export const PRICES = {
  asOf: '2026-12 (as carried by the README since 2025-2026; not re-read on that date: check the Azure pricing calculator)',
  /** Flex Consumption, on demand: per GB-second of instance memory while executing, and per execution. */
  flexPerGbSecond: 0.000026,
  flexPerMillionExecutions: 0.4,
  /** Free each month per subscription (shared with every other Flex Consumption app in it). */
  flexFreeGbSeconds: 100_000,
  flexFreeExecutions: 250_000,
  /** Table Storage (LRS): per 10,000 transactions, and per GB stored a month. */
  tablePer10kTransactions: 0.00036,
  tablePerGbMonth: 0.045,
  /** Blob Storage (hot LRS) write operations, per 10,000: the host's timer status and locks. */
  blobPer10kWrites: 0.055,
  /** Log Analytics (Application Insights) ingestion, per GB after the first 5 GB a month (per billing account). */
  logsPerGb: 2.3,
  logsFreeGb: 5,
  /** Communication Services Email: per email, and per MB sent. */
  acsPerEmail: 0.00025,
  acsPerMb: 0.00012,
};

/** What cannot be measured here: named, with the reason for each value. */
export const ASSUMPTIONS = {
  /** Default schedules: each timer every 15 minutes, 30 days. */
  runsPerTimerPerMonth: 4 * 24 * 30,
  /** AUDIT_QUERY_POLL_SECONDS (default 240): how long a notify run may wait for the Graph audit query. */
  auditWaitSeconds: 240,
  /**
   * Share of notify runs that wait it out. A Graph audit query takes minutes (often more than 4): one run
   * creates it and waits, the next reads it at once. The simulator answers at once, so this is not measured.
   */
  auditWaitingShare: 0.5,
  /** Host telemetry and the app's log lines per run (request, traces, one summary line), and per release. */
  logBytesPerRun: 10_000,
  logBytesPerRelease: 1_000,
  /** Host blob writes per timer run: schedule status and singleton lock. */
  hostBlobWritesPerRun: 10,
  /** A notification email (text and HTML, no attachment). */
  emailBytes: 20_000,
  /** A stored row of any of the app's tables, and how long quarantine rows stay (they expire after 30 days). */
  bytesPerRow: 2_000,
};

/** Figures of one bench run that the bill scales from. */
export interface MeasuredRuns {
  /** The bench's generated tenant: quarantine rows per message, released messages per message. */
  rowsPerMessage: number;
  releasedPerMessage: number;
  /** Snapshot steady-state run (new rows only, nothing released in the window). */
  steadySnapshotSeconds: number;
  steadySnapshotTableRequests: number;
  steadySnapshotNewRows: number;
  /** Snapshot steady-state run with `releasedInWindow` released messages in the Released query's 30 days. */
  releasedSnapshotSeconds: number;
  releasedInWindow: number;
  /** Notify over `notifyReleasedMessages` released messages (dry run: composing, not sending). */
  notifySeconds: number;
  notifyTableRequests: number;
  notifyReleasedMessages: number;
  emailsComposed: number;
  /** Backfill: table requests per quarantine row written. */
  tableRequestsPerRow: number;
}

export interface MonthlyBill {
  quarantinedMessages: number;
  releasedMessages: number;
  emails: number;
  snapshotRunSeconds: number;
  notifyRunSeconds: number;
  gbSeconds: number;
  executions: number;
  tableTransactions: number;
  storedGb: number;
  logGb: number;
  /** US dollars, without any free grant (the grants are shared with the subscription's other apps). */
  cost: { compute: number; executions: number; storage: number; logs: number; email: number; total: number };
  /** The same, if this app had the free grants to itself. */
  totalWithFreeGrants: number;
}

export function monthlyBill(
  measured: MeasuredRuns,
  quarantinedMessages: number,
  instanceMB: number,
): MonthlyBill {
  const a = ASSUMPTIONS;
  const runs = a.runsPerTimerPerMonth;
  const rows = quarantinedMessages * measured.rowsPerMessage;
  const released = quarantinedMessages * measured.releasedPerMessage;
  const emails = released * (measured.emailsComposed / measured.notifyReleasedMessages);

  // Snapshot: the steady run, plus the fast path's re-reading of the 30 days' released rows.
  const perReleasedInWindow =
    (measured.releasedSnapshotSeconds - measured.steadySnapshotSeconds) / measured.releasedInWindow;
  const snapshotRunSeconds = measured.steadySnapshotSeconds + perReleasedInWindow * released;
  // Notify: the audit query wait, plus its per-release work spread over the month's runs.
  const notifyPerRelease = measured.notifySeconds / measured.notifyReleasedMessages;
  const notifyRunSeconds = a.auditWaitSeconds * a.auditWaitingShare + (notifyPerRelease * released) / runs;
  const gbSeconds = (runs * (snapshotRunSeconds + notifyRunSeconds) * instanceMB) / 1024;
  const executions = 2 * runs;

  const fixedSnapshotRequests = Math.max(
    0,
    measured.steadySnapshotTableRequests - measured.steadySnapshotNewRows * measured.tableRequestsPerRow,
  );
  const tableTransactions =
    rows * measured.tableRequestsPerRow +
    runs * fixedSnapshotRequests +
    released * (measured.notifyTableRequests / measured.notifyReleasedMessages);
  const storedGb = ((rows + released) * a.bytesPerRow) / 1e9;
  const logGb = (2 * runs * a.logBytesPerRun + released * a.logBytesPerRelease) / 1e9;

  const p = PRICES;
  const cost = {
    compute: gbSeconds * p.flexPerGbSecond,
    executions: (executions / 1e6) * p.flexPerMillionExecutions,
    storage:
      (tableTransactions / 1e4) * p.tablePer10kTransactions +
      ((2 * runs * a.hostBlobWritesPerRun) / 1e4) * p.blobPer10kWrites +
      storedGb * p.tablePerGbMonth,
    logs: logGb * p.logsPerGb,
    email: emails * (p.acsPerEmail + (a.emailBytes / 1e6) * p.acsPerMb),
    total: 0,
  };
  cost.total = cost.compute + cost.executions + cost.storage + cost.logs + cost.email;
  const totalWithFreeGrants =
    Math.max(0, gbSeconds - p.flexFreeGbSeconds) * p.flexPerGbSecond +
    (Math.max(0, executions - p.flexFreeExecutions) / 1e6) * p.flexPerMillionExecutions +
    cost.storage +
    Math.max(0, logGb - p.logsFreeGb) * p.logsPerGb +
    cost.email;
  return {
    quarantinedMessages,
    releasedMessages: released,
    emails,
    snapshotRunSeconds,
    notifyRunSeconds,
    gbSeconds,
    executions,
    tableTransactions,
    storedGb,
    logGb,
    cost,
    totalWithFreeGrants,
  };
}

export const TENANT_SIZES = [1_000, 10_000, 100_000];

/** The bill for each tenant size, as lines to print. */
export function billLines(measured: MeasuredRuns, instanceMB: number): string[] {
  const money = (n: number) => (n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);
  return TENANT_SIZES.map((size) => {
    const b = monthlyBill(measured, size, instanceMB);
    return (
      `  ${size.toLocaleString('en-US')} quarantined/month: ${Math.round(b.releasedMessages)} released, ${Math.round(b.emails)} emails; ` +
      `runs ${b.snapshotRunSeconds.toFixed(1)} s + ${b.notifyRunSeconds.toFixed(1)} s; ${Math.round(b.gbSeconds).toLocaleString('en-US')} GB-s ${money(b.cost.compute)}, ` +
      `${b.executions} executions ${money(b.cost.executions)}, ${Math.round(b.tableTransactions).toLocaleString('en-US')} table transactions + storage ${money(b.cost.storage)}, ` +
      `logs ${b.logGb.toFixed(3)} GB ${money(b.cost.logs)}, email ${money(b.cost.email)}: total ${money(b.cost.total)} (${money(b.totalWithFreeGrants)} within free grants)`
    );
  });
}
