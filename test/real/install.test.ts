import { describeInstall } from '../packaging/install-suite.js';
import { realTarget } from './real-target.js';

// kubectl apply -k deploy/, helm install with its notes, a fully customised rendering: on kube-apiserver
describeInstall('kube-apiserver', realTarget);
