import { type Cause, fieldErrors, isDns1123Label, isValidPortName, isValidPortNum } from './field-errors.js';
import { annotationCauses, labelCauses } from './object-meta.js';

/**
 * The part of pkg/apis/core/validation ValidatePodTemplateSpec / ValidatePodSpec a workload's template meets most:
 * the template's labels and annotations; volumes (name, unique); containers (present; name a unique DNS-1123 label;
 * image; terminationMessagePolicy; ports; env names; volume mounts naming a volume; imagePullPolicy); restartPolicy;
 * dnsPolicy; nodeSelector labels. Runs on the defaulted template, in the order of the Go code. Not covered (kept as
 * sent): probes, lifecycle hooks, security contexts, resources, affinity, topology spread, volume sources.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);
const str = (v: unknown) => (typeof v === 'string' ? v : '');

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const RESTART_POLICIES = ['Always', 'Never', 'OnFailure'];

function containerPortCauses(ports: Obj[], at: string): Cause[] {
  const causes: Cause[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const idx = `${at}[${i}]`;
    const name = str(p.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) for (const m of msgs) causes.push(fieldErrors.invalid(`${idx}.name`, name, m));
      else if (names.has(name)) causes.push(fieldErrors.duplicate(`${idx}.name`, name));
      else names.add(name);
    }
    const port = typeof p.containerPort === 'number' ? p.containerPort : 0;
    if (port === 0) causes.push(fieldErrors.required(`${idx}.containerPort`));
    else
      for (const m of isValidPortNum(port)) causes.push(fieldErrors.invalid(`${idx}.containerPort`, port, m));
    const host = typeof p.hostPort === 'number' ? p.hostPort : 0;
    if (host !== 0)
      for (const m of isValidPortNum(host)) causes.push(fieldErrors.invalid(`${idx}.hostPort`, host, m));
    const protocol = str(p.protocol);
    if (!protocol) causes.push(fieldErrors.required(`${idx}.protocol`));
    else if (!PROTOCOLS.includes(protocol))
      causes.push(fieldErrors.notSupported(`${idx}.protocol`, protocol, PROTOCOLS));
  });
  return causes;
}

function containerCauses(containers: Obj[], volumes: Set<string>, at: string): Cause[] {
  if (containers.length === 0) return [fieldErrors.required(at)];
  const causes: Cause[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const path = `${at}[${i}]`;
    const name = str(c.name);
    if (!name) causes.push(fieldErrors.required(`${path}.name`));
    else for (const m of isDns1123Label(name)) causes.push(fieldErrors.invalid(`${path}.name`, name, m));
    if (!str(c.image)) causes.push(fieldErrors.required(`${path}.image`));
    const tmp = str(c.terminationMessagePolicy);
    if (!tmp) causes.push(fieldErrors.required(`${path}.terminationMessagePolicy`));
    else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp))
      causes.push(
        fieldErrors.notSupported(`${path}.terminationMessagePolicy`, tmp, TERMINATION_MESSAGE_POLICIES),
      );
    causes.push(...containerPortCauses(list(c.ports), `${path}.ports`));
    list(c.env).forEach((e, j) => {
      if (!str(e.name)) causes.push(fieldErrors.required(`${path}.env[${j}].name`));
    });
    list(c.volumeMounts).forEach((m, j) => {
      const mount = `${path}.volumeMounts[${j}]`;
      const vol = str(m.name);
      if (!vol) causes.push(fieldErrors.required(`${mount}.name`));
      else if (!volumes.has(vol))
        causes.push({
          field: `${mount}.name`,
          message: `Not found: ${JSON.stringify(vol)}`,
          type: 'FieldValueNotFound',
        });
      if (!str(m.mountPath)) causes.push(fieldErrors.required(`${mount}.mountPath`));
    });
    const pull = str(c.imagePullPolicy);
    if (!pull) causes.push(fieldErrors.required(`${path}.imagePullPolicy`));
    else if (!PULL_POLICIES.includes(pull))
      causes.push(fieldErrors.notSupported(`${path}.imagePullPolicy`, pull, PULL_POLICIES));
    if (name && names.has(name)) causes.push(fieldErrors.duplicate(`${path}.name`, name));
    else names.add(name);
  });
  return causes;
}

/** ValidatePodSpec's subset (see above); `at` is the spec's path, e.g. `spec.template.spec`. */
export function podSpecCauses(spec: Obj, at: string): Cause[] {
  const causes: Cause[] = [];
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null)
    causes.push(fieldErrors.required(`${at}.terminationGracePeriodSeconds`));
  const volumes = new Set<string>();
  list(spec.volumes).forEach((v, i) => {
    const name = str(v.name);
    const path = `${at}.volumes[${i}].name`;
    if (!name) causes.push(fieldErrors.required(path));
    else {
      for (const m of isDns1123Label(name)) causes.push(fieldErrors.invalid(path, name, m));
      if (volumes.has(name)) causes.push(fieldErrors.duplicate(path, name));
      volumes.add(name);
    }
  });
  causes.push(...containerCauses(list(spec.containers), volumes, `${at}.containers`));
  const restart = str(spec.restartPolicy);
  if (!restart) causes.push(fieldErrors.required(`${at}.restartPolicy`));
  else if (!RESTART_POLICIES.includes(restart))
    causes.push(fieldErrors.notSupported(`${at}.restartPolicy`, restart, RESTART_POLICIES));
  const dns = str(spec.dnsPolicy);
  if (!dns) causes.push(fieldErrors.required(`${at}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(dns))
    causes.push(fieldErrors.notSupported(`${at}.dnsPolicy`, dns, DNS_POLICIES));
  causes.push(...labelCauses(isObj(spec.nodeSelector) ? spec.nodeSelector : undefined, `${at}.nodeSelector`));
  return causes;
}

/** ValidatePodTemplateSpec: the template's metadata labels/annotations, then its spec. */
export function podTemplateCauses(template: Obj, at: string): Cause[] {
  const meta = isObj(template.metadata) ? template.metadata : {};
  return [
    ...labelCauses(isObj(meta.labels) ? meta.labels : undefined, `${at}.metadata.labels`),
    ...annotationCauses(isObj(meta.annotations) ? meta.annotations : undefined, `${at}.metadata.annotations`),
    ...podSpecCauses(isObj(template.spec) ? template.spec : {}, `${at}.spec`),
  ];
}
