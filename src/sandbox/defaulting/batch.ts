import { child, isObj, type Obj, podTemplateDefaults, setIfUnset } from './pod.js';

/**
 * batch/v1 defaults: pkg/apis/batch/v1/defaults.go SetDefaults_Job and SetDefaults_CronJob (with
 * podReplacementPolicy of the JobPodReplacementPolicy feature, on by default since 1.29: Failed when a
 * podFailurePolicy is set, else TerminatingOrFailed), plus the pod template defaults (pod.ts).
 */

function jobSpecDefaults(spec: Obj): void {
  const unset = (v: unknown) => v === undefined || v === null;
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (unset(spec.parallelism)) spec.parallelism = 1;
  if (unset(spec.backoffLimit)) spec.backoffLimit = 6;
  setIfUnset(spec, 'completionMode', 'NonIndexed');
  if (unset(spec.suspend)) spec.suspend = false;
  if (unset(spec.manualSelector)) spec.manualSelector = false;
  setIfUnset(spec, 'podReplacementPolicy', isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  podTemplateDefaults(child(spec, 'template'));
}

export function jobDefaults(obj: Obj): void {
  const spec = child(obj, 'spec');
  jobSpecDefaults(spec);
  // the Job takes its template's labels when it has none of its own
  const template = spec.template as Obj;
  const meta = child(obj, 'metadata');
  const templateLabels = isObj(template.metadata) ? template.metadata.labels : undefined;
  if (isObj(templateLabels) && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0))
    meta.labels = { ...templateLabels };
}

export function cronJobDefaults(obj: Obj): void {
  const spec = child(obj, 'spec');
  setIfUnset(spec, 'concurrencyPolicy', 'Allow');
  if (spec.suspend === undefined || spec.suspend === null) spec.suspend = false;
  if (spec.successfulJobsHistoryLimit === undefined || spec.successfulJobsHistoryLimit === null)
    spec.successfulJobsHistoryLimit = 3;
  if (spec.failedJobsHistoryLimit === undefined || spec.failedJobsHistoryLimit === null)
    spec.failedJobsHistoryLimit = 1;
  // SetDefaults_Job takes a Job, not a JobSpec: the jobTemplate gets only the pod template defaults
  // (zz_generated.defaults.go SetObjectDefaults_CronJob); the Job the controller creates gets the rest
  podTemplateDefaults(child(child(child(spec, 'jobTemplate'), 'spec'), 'template'));
}
