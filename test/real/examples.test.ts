import { describeExamples } from '../e2e/examples-suite.js';
import { startRealCli } from '../helpers/real-cli.js';

// every file in examples/ with the real kubectl, on kube-apiserver with `kubemirror run`
describeExamples('kube-apiserver', () =>
  startRealCli(['--discovery-interval', '2s', '--resync-period', '30s'], { logLevel: 'debug' }),
);
