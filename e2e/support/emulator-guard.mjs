// Runs the emulator (the arguments are node's: `--import tsx server/main.ts …`) and stops it when the
// process that started it goes away, however it goes (a signal Playwright does not handle, a crash,
// SIGKILL): that process holds our stdin, and the pipe closes when it dies. Exits with the
// emulator's exit code. CIAM_E2E_REMOVE_ON_EXIT names a folder (the throwaway certs) to delete then.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

const emulator = spawn(process.execPath, process.argv.slice(2), { stdio: ['ignore', 'inherit', 'inherit'] });

function stop(signal) {
  if (emulator.exitCode !== null || emulator.signalCode !== null) return;
  emulator.kill(signal);
  setTimeout(() => emulator.kill('SIGKILL'), 5_000).unref();
}

process.stdin.on('data', () => {});
process.stdin.on('end', () => stop('SIGTERM'));
process.stdin.on('error', () => stop('SIGTERM'));
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => stop(signal));

emulator.on('error', (e) => {
  process.stderr.write(`could not start the emulator: ${e.message}\n`);
  process.exit(1);
});
emulator.on('exit', (code, signal) => {
  const dir = process.env.CIAM_E2E_REMOVE_ON_EXIT;
  if (dir) rmSync(dir, { recursive: true, force: true });
  process.exit(code ?? (signal === 'SIGTERM' ? 0 : 1));
});
