import { describeHelmLifecycle } from './helm-lifecycle.js';
import { sandboxTarget } from './install-target.js';

// the same lifecycle runs on kube-apiserver in test/real/install.test.ts
describeHelmLifecycle('the sandbox', sandboxTarget);
