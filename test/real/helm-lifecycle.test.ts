import { describeHelmLifecycle } from '../packaging/helm-lifecycle.js';
import { realTarget } from './real-target.js';

// helm install, upgrade, uninstall of charts/kubemirror on kube-apiserver
describeHelmLifecycle('kube-apiserver', realTarget);
