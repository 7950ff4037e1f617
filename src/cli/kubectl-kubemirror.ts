#!/usr/bin/env node
/**
 * The `kubectl-kubemirror` executable (package.json `bin`): `kubectl kubemirror status|plan ...` with kubectl's
 * connection flags (kubectl-plugin.ts); every other command goes to kubemirror's main unchanged.
 */
import { kubectlPluginCommand, PLUGIN_COMMANDS } from './kubectl-plugin.js';

const argv = process.argv.slice(2);
if (PLUGIN_COMMANDS.has(argv[0])) {
  kubectlPluginCommand(argv, {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`kubectl kubemirror: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  // main reads the same process.argv: `kubectl kubemirror cluster add west --context west` is `kubemirror cluster add ...`
  await import('../main.js');
}
