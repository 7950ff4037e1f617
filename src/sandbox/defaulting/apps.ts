import { child, type Obj, podTemplateDefaults, setIfUnset } from './pod.js';

/**
 * apps/v1 defaults: pkg/apis/apps/v1/defaults.go SetDefaults_Deployment, SetDefaults_StatefulSet,
 * SetDefaults_DaemonSet, SetDefaults_ReplicaSet, plus the pod template defaults of core/v1 (pod.ts).
 */

export function deploymentDefaults(obj: Obj): void {
  const spec = child(obj, 'spec');
  setIfUnset(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setIfUnset(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    setIfUnset(ru, 'maxUnavailable', '25%');
    setIfUnset(ru, 'maxSurge', '25%');
  }
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  setIfUnset(spec, 'progressDeadlineSeconds', 600);
  podTemplateDefaults(child(spec, 'template'));
}

export function statefulSetDefaults(obj: Obj): void {
  const spec = child(obj, 'spec');
  setIfUnset(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy');
  if (!strategy.type) {
    strategy.type = 'RollingUpdate';
    child(strategy, 'rollingUpdate');
  }
  const ru = strategy.rollingUpdate;
  if (strategy.type === 'RollingUpdate' && ru && typeof ru === 'object')
    setIfUnset(ru as Obj, 'partition', 0);
  // StatefulSetAutoDeletePVC is GA (on) since 1.32
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setIfUnset(retention, 'whenDeleted', 'Retain');
  setIfUnset(retention, 'whenScaled', 'Retain');
  setIfUnset(spec, 'replicas', 1);
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  podTemplateDefaults(child(spec, 'template'));
}

export function daemonSetDefaults(obj: Obj): void {
  const spec = child(obj, 'spec');
  const strategy = child(spec, 'updateStrategy');
  setIfUnset(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    setIfUnset(ru, 'maxUnavailable', 1);
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = 0;
  }
  setIfUnset(spec, 'revisionHistoryLimit', 10);
  podTemplateDefaults(child(spec, 'template'));
}

export function replicaSetDefaults(obj: Obj): void {
  const spec = child(obj, 'spec');
  setIfUnset(spec, 'replicas', 1);
  podTemplateDefaults(child(spec, 'template'));
}
