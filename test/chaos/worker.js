#!/usr/bin/env node
// The chaos run's job process. It builds the app once with `createApplication`, exactly as the
// Functions host does, and runs the job the driver names, at the simulated time the driver names, over IPC:
//   driver -> { type: 'run', id, job: 'snapshot' | 'notify', now: ISO }   worker -> { type: 'done', id, ... }
// The driver SIGKILLs it at random moments and starts a new one. Compiled lib code is used (dist/), so
// `npm run build` must have run. Settings come from the environment the driver passes; NODE_EXTRA_CA_CERTS
// must name the simulator's certificate (Node reads it at start only).
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const { loadSettings } = require(path.join(root, 'dist/lib/config/settings.js'));
const { createApplication } = require(path.join(root, 'dist/lib/composition.js'));
const { MemoryLogger } = require(path.join(root, 'dist/lib/core/log.js'));
// The simulated time the driver gives, moving on with real time and jumping forward on `sleep`.
const { DrivenClock } = require(path.join(root, 'dist/lib/core/clock.js'));

/** Keeps the last lines only; the driver gets them when a run fails, for the report. */
class TailLogger extends MemoryLogger {
  info(message, fields) {
    super.info(message, fields);
    this.trim();
  }
  warn(message, fields) {
    super.warn(message, fields);
    this.trim();
  }
  error(message, fields) {
    super.error(message, fields);
    this.trim();
  }
  trim() {
    if (this.lines.length > 200) this.lines.splice(0, this.lines.length - 200);
  }
}

async function main() {
  const clock = new DrivenClock();
  const logger = new TailLogger();
  const settings = loadSettings(process.env);
  const app = await createApplication(settings, {
    clock,
    logger,
    timeouts: {
      exchange: {
        maxRetryMs: 15_000,
        requestTimeoutMs: 2_000,
        retryDelayMs: 100,
        maxRetryDelayMs: 1_000,
        maxRetries: 4,
      },
      emailMs: 2_000,
      graphMs: 3_000,
    },
  });
  process.on('message', async (message) => {
    if (!message || message.type !== 'run') return;
    clock.moveTo(message.now);
    logger.lines.length = 0;
    const started = Date.now();
    try {
      const summary = message.job === 'snapshot' ? await app.runSnapshot() : await app.runNotify();
      process.send({ type: 'done', id: message.id, job: message.job, ms: Date.now() - started, summary });
    } catch (error) {
      process.send({
        type: 'done',
        id: message.id,
        job: message.job,
        ms: Date.now() - started,
        error: error instanceof Error ? error.message : String(error),
        log: logger.text().split('\n').slice(-20),
      });
    }
  });
  process.send({ type: 'ready' });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
