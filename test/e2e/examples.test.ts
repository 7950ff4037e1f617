import { expect } from 'vitest';
import { startSandboxCli } from '../helpers/cli.js';
import { describeExamples } from './examples-suite.js';

// the same examples run on kube-apiserver in test/real/examples.test.ts
describeExamples('kubemirror sandbox', async () => {
  const sb = await startSandboxCli(['--discovery-interval', '2s', '--resync-period', '30s'], {
    logLevel: 'debug',
  });
  expect(sb.process.lines.join('\n')).toContain('controller running inside the sandbox');
  return sb;
});
