import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';
import { createEmulator } from './emulator.js';
import { FixtureError } from './fixtures/load.js';
import { banner } from './banner.js';
import { fromRoot } from './paths.js';
import { COMMANDS_USAGE, runCommand } from './cli.js';
import { DataFolderError } from './db/data-folder.js';

/**
 * The one place that reads the environment and listens: `ciam-emulator [start] [options]` (the
 * default, `npm start`), plus `export`, `import` and `ca` (server/cli.ts).
 */
async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command && !command.startsWith('-')) {
    if (command !== 'start') {
      process.exitCode = await runCommand(command, rest, process.env);
      return;
    }
  }
  const args = command === 'start' ? rest : process.argv.slice(2);
  let config;
  try {
    config = loadConfig(args, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`ciam-emulator: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (config.help) {
    process.stdout.write(`${COMMANDS_USAGE}\n`);
    return;
  }
  const { version } = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string };
  const emulator = await createEmulator(config, {
    version,
    log: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.client_secret', '*.code'],
    },
  });
  await emulator.app.listen({ host: config.host, port: config.port });
  process.stdout.write(banner(emulator));

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    emulator.app.log.info({ signal }, 'shutting down');
    emulator.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e: unknown) => {
  if (e instanceof DataFolderError) {
    process.stderr.write(`ciam-emulator: ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof FixtureError) {
    process.stderr.write(`ciam-emulator: invalid fixtures: ${e.message}\n`);
    process.exit(2);
  }
  if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(`ciam-emulator: the port is already in use (${(e as Error).message}). Pick another with --port.\n`);
    process.exit(2);
  }
  process.stderr.write(`ciam-emulator failed to start: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
