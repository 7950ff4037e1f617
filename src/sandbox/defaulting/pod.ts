/**
 * Pod template defaults, as the real server applies them to every PodTemplateSpec it stores (Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job, CronJob): pkg/apis/core/v1/defaults.go SetDefaults_PodSpec,
 * SetDefaults_Container, SetDefaults_Probe, SetDefaults_HTTPGetAction, the volume-source defaults, and the
 * declarative `+default` of zz_generated.defaults.go (ContainerPort.protocol TCP). SetDefaults_Pod (enableServiceLinks,
 * requests from limits) is Pod-only and not applied to templates, as the real defaulter does not.
 */

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object at `o[key]`, created when absent (a Go struct field that is never nil once defaulted). */
export function child(o: Obj, key: string): Obj {
  const v = o[key];
  if (isObj(v)) return v;
  const fresh: Obj = {};
  o[key] = fresh;
  return fresh;
}

export function setIfUnset(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}

function objects(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/**
 * The tag of an image reference as parsers.ParseImageName sees it: the part after the last ':' of the last
 * path segment; a digest (`@sha256:...`) means no tag, and no tag means `latest` unless there is a digest.
 */
export function imageTag(image: string): string | undefined {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon >= 0) return lastSegment.slice(colon + 1);
  return at >= 0 ? undefined : 'latest';
}

function probeDefaults(probe: unknown): void {
  if (!isObj(probe)) return;
  setIfUnset(probe, 'timeoutSeconds', 1);
  setIfUnset(probe, 'periodSeconds', 10);
  setIfUnset(probe, 'successThreshold', 1);
  setIfUnset(probe, 'failureThreshold', 3);
  if (isObj(probe.httpGet)) {
    setIfUnset(probe.httpGet, 'path', '/');
    setIfUnset(probe.httpGet, 'scheme', 'HTTP');
  }
  if (isObj(probe.grpc)) setIfUnset(probe.grpc, 'service', '');
}

function lifecycleDefaults(lifecycle: unknown): void {
  if (!isObj(lifecycle)) return;
  for (const hook of [lifecycle.postStart, lifecycle.preStop]) {
    if (isObj(hook) && isObj(hook.httpGet)) {
      setIfUnset(hook.httpGet, 'path', '/');
      setIfUnset(hook.httpGet, 'scheme', 'HTTP');
    }
  }
}

function envDefaults(env: unknown): void {
  for (const e of objects(env)) {
    const from = e.valueFrom;
    if (isObj(from) && isObj(from.fieldRef)) setIfUnset(from.fieldRef, 'apiVersion', 'v1');
  }
}

/** SetDefaults_Container plus the nested defaults of its ports, probes, env and resources. */
export function containerDefaults(c: Obj): void {
  if (!c.imagePullPolicy) {
    const tag = typeof c.image === 'string' ? imageTag(c.image) : 'latest';
    c.imagePullPolicy = tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  setIfUnset(c, 'terminationMessagePath', '/dev/termination-log');
  setIfUnset(c, 'terminationMessagePolicy', 'File');
  for (const p of objects(c.ports)) setIfUnset(p, 'protocol', 'TCP');
  // ResourceRequirements is a struct value in Go: it is always serialised, as `resources: {}` when empty
  child(c, 'resources');
  probeDefaults(c.livenessProbe);
  probeDefaults(c.readinessProbe);
  probeDefaults(c.startupProbe);
  lifecycleDefaults(c.lifecycle);
  envDefaults(c.env);
}

function volumeDefaults(v: Obj): void {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v.emptyDir = {};
  if (isObj(v.secret)) setIfUnset(v.secret, 'defaultMode', 0o644);
  if (isObj(v.configMap)) setIfUnset(v.configMap, 'defaultMode', 0o644);
  if (isObj(v.downwardAPI)) {
    setIfUnset(v.downwardAPI, 'defaultMode', 0o644);
    for (const item of objects(v.downwardAPI.items))
      if (isObj(item.fieldRef)) setIfUnset(item.fieldRef, 'apiVersion', 'v1');
  }
  if (isObj(v.projected)) {
    setIfUnset(v.projected, 'defaultMode', 0o644);
    for (const s of objects(v.projected.sources)) {
      if (isObj(s.serviceAccountToken)) setIfUnset(s.serviceAccountToken, 'expirationSeconds', 3600);
    }
  }
  if (isObj(v.hostPath)) setIfUnset(v.hostPath, 'type', '');
}

/** SetDefaults_PodSpec and everything below it. Mutates `spec`. */
export function podSpecDefaults(spec: Obj): void {
  setIfUnset(spec, 'dnsPolicy', 'ClusterFirst');
  setIfUnset(spec, 'restartPolicy', 'Always');
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  setIfUnset(spec, 'terminationGracePeriodSeconds', 30);
  setIfUnset(spec, 'schedulerName', 'default-scheduler');
  for (const c of objects(spec.containers)) containerDefaults(c);
  for (const c of objects(spec.initContainers)) containerDefaults(c);
  for (const c of objects(spec.ephemeralContainers)) containerDefaults(c);
  for (const v of objects(spec.volumes)) volumeDefaults(v);
}

/** A PodTemplateSpec (`spec.template`): its spec gets the pod spec defaults. Mutates `template`. */
export function podTemplateDefaults(template: unknown): void {
  if (!isObj(template)) return;
  podSpecDefaults(child(template, 'spec'));
}
