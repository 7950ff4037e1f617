import { describeInstall } from './install-suite.js';
import { sandboxTarget } from './install-target.js';

// the same installs run on kube-apiserver in test/real/install.test.ts
describeInstall('the sandbox', sandboxTarget);
