import { ConfigError, parseConfig, type Config } from './config.js';
import { startTock } from './app.js';

/** `npm start`: parse config (fail fast), start everything, stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = parseConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tock: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const tock = await startTock(config);
  if (tock.bootstrapSecret) {
    // Printed once: only its hash is stored.
    process.stdout.write(
      `\nFirst start: created an admin API key (shown only now, store it safely):\n\n  ${tock.bootstrapSecret}\n\n`,
    );
  }
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    tock.logger.info({ signal }, 'shutting down');
    tock.stop().then(
      () => process.exit(0),
      (err) => {
        tock.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`tock: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
