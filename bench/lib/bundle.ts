import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const built = new Map<string, string>();

/**
 * `entry` (a path from the repository root) bundled the way the image's program is (scripts/bundle.mjs) into
 * dist-bench/bundles/<name>.js, once per bench run: memory is measured on what ships, not on tsc's
 * one-file-per-module output with the whole of node_modules behind it.
 */
export function bundled(entry: string, name: string): string {
  const known = built.get(name);
  if (known) return known;
  const outfile = join(repoRoot, 'dist-bench', 'bundles', `${name}.js`);
  execFileSync(
    process.execPath,
    [join(repoRoot, 'scripts', 'bundle.mjs'), '--entry', entry, '--outfile', outfile],
    { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  built.set(name, outfile);
  return outfile;
}
