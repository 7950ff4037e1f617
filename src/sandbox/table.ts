import type { KubeObject } from '../core/types.js';
import { coreEventFromEventsV1 } from './builtin-resources.js';
import { type JsonPath, parseJsonPath, printJsonPathValue } from './jsonpath.js';
import type { ResourceDef } from './resource-registry.js';
import { TABLE_COLUMNS } from './schema/server-answers.generated.js';

/** `meta.k8s.io/v1` Table output, which `kubectl get` asks for with `Accept: ...;as=Table`. */

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  cell: (o: KubeObject, now: Date) => Cell;
}

type Cell = string | number | boolean | null;

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '');
}

/** Kubernetes' duration.HumanDuration, as in the AGE column. */
export function humanAge(from: string | undefined, now: Date): string {
  if (!from) return '<unknown>';
  const secs = Math.floor((now.getTime() - Date.parse(from)) / 1000);
  if (secs < -1) return '<invalid>';
  if (secs < 0) return '0s';
  if (secs < 120) return `${secs}s`;
  const mins = Math.floor(secs / 60);
  if (mins < 10) return secs % 60 === 0 ? `${mins}m` : `${mins}m${secs % 60}s`;
  if (mins < 180) return `${mins}m`;
  const hours = Math.floor(mins / 60);
  if (hours < 8) return mins % 60 === 0 ? `${hours}h` : `${hours}h${mins % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 192)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    const years = Math.floor(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

const nameCol: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  priority: 0,
  cell: (o) => o.metadata.name,
};
const ageCol: Column = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
  cell: (o, now) => humanAge(o.metadata.creationTimestamp, now),
};
const dataCount = (o: KubeObject) =>
  Object.keys((o.data as object) ?? {}).length + Object.keys((o.binaryData as object) ?? {}).length;

type Loose = Record<string, unknown>;
const field = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Loose)[k] : undefined), o);
const num = (o: unknown, ...path: string[]): number => Number(field(o, ...path) ?? 0);
const str = (o: unknown, ...path: string[]): string => {
  const v = field(o, ...path);
  return v === undefined || v === null ? '<none>' : String(v);
};
const col = (
  name: string,
  cell: Column['cell'],
  type = 'string',
  priority = 0,
  description = '',
): Column => ({
  name,
  type,
  format: '',
  description,
  priority,
  cell,
});
const list = (o: unknown, ...path: string[]): Loose[] => {
  const v = field(o, ...path);
  return Array.isArray(v) ? (v as Loose[]) : [];
};
const containers = (o: KubeObject, ...templatePath: string[]) =>
  list(o, ...templatePath, 'spec', 'containers');
const workloadCols = (...templatePath: string[]): Column[] => [
  col(
    'Containers',
    (o) =>
      containers(o, ...templatePath)
        .map((c) => c.name)
        .join(','),
    'string',
    1,
  ),
  col(
    'Images',
    (o) =>
      containers(o, ...templatePath)
        .map((c) => c.image)
        .join(','),
    'string',
    1,
  ),
];
const selectorText = (sel: unknown): string => {
  const labels = field(sel, 'matchLabels') ?? (field(sel, 'matchExpressions') ? undefined : sel);
  if (!labels || typeof labels !== 'object') return '<none>';
  const parts = Object.entries(labels as Loose).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? parts.join(',') : '<none>';
};
const intOrPercent = (o: unknown, ...path: string[]) =>
  field(o, ...path) === undefined ? 'N/A' : str(o, ...path);

/**
 * The columns of the real server's table printers (pkg/printers/internalversion/printers.go) for the built-in
 * kinds the sandbox serves; Name and Age for the rest.
 */
function groupColumns(def: ResourceDef): Column[] | undefined {
  switch (`${def.group}/${def.kind}`) {
    case 'apps/Deployment':
      return [
        nameCol,
        col('Ready', (o) => `${num(o, 'status', 'readyReplicas')}/${num(o, 'spec', 'replicas')}`),
        col('Up-to-date', (o) => num(o, 'status', 'updatedReplicas'), 'integer'),
        col('Available', (o) => num(o, 'status', 'availableReplicas'), 'integer'),
        ageCol,
        ...workloadCols('spec', 'template'),
        col('Selector', (o) => selectorText(field(o, 'spec', 'selector')), 'string', 1),
      ];
    case 'apps/StatefulSet':
      return [
        nameCol,
        col('Ready', (o) => `${num(o, 'status', 'readyReplicas')}/${num(o, 'spec', 'replicas')}`),
        ageCol,
        ...workloadCols('spec', 'template'),
      ];
    case 'apps/ReplicaSet':
      return [
        nameCol,
        col('Desired', (o) => num(o, 'spec', 'replicas'), 'integer'),
        col('Current', (o) => num(o, 'status', 'replicas'), 'integer'),
        col('Ready', (o) => num(o, 'status', 'readyReplicas'), 'integer'),
        ageCol,
        ...workloadCols('spec', 'template'),
      ];
    case 'apps/DaemonSet':
      return [
        nameCol,
        col('Desired', (o) => num(o, 'status', 'desiredNumberScheduled'), 'integer'),
        col('Current', (o) => num(o, 'status', 'currentNumberScheduled'), 'integer'),
        col('Ready', (o) => num(o, 'status', 'numberReady'), 'integer'),
        col('Up-to-date', (o) => num(o, 'status', 'updatedNumberScheduled'), 'integer'),
        col('Available', (o) => num(o, 'status', 'numberAvailable'), 'integer'),
        col('Node Selector', (o) => selectorText(field(o, 'spec', 'template', 'spec', 'nodeSelector'))),
        ageCol,
        ...workloadCols('spec', 'template'),
      ];
    case 'batch/Job':
      return [
        nameCol,
        col('Completions', (o) => `${num(o, 'status', 'succeeded')}/${num(o, 'spec', 'completions') || 1}`),
        col('Duration', () => ''),
        ageCol,
        ...workloadCols('spec', 'template'),
      ];
    case 'batch/CronJob':
      return [
        nameCol,
        col('Schedule', (o) => str(o, 'spec', 'schedule')),
        col('Timezone', (o) => str(o, 'spec', 'timeZone')),
        col('Suspend', (o) => String(field(o, 'spec', 'suspend') ?? false), 'boolean'),
        col('Active', (o) => list(o, 'status', 'active').length, 'integer'),
        col('Last Schedule', (o, now) => {
          const t = field(o, 'status', 'lastScheduleTime');
          return typeof t === 'string' ? humanAge(t, now) : '<none>';
        }),
        ageCol,
      ];
    case 'policy/PodDisruptionBudget':
      return [
        nameCol,
        col('Min Available', (o) => intOrPercent(o, 'spec', 'minAvailable')),
        col('Max Unavailable', (o) => intOrPercent(o, 'spec', 'maxUnavailable')),
        col('Allowed Disruptions', (o) => num(o, 'status', 'disruptionsAllowed'), 'integer'),
        ageCol,
      ];
    case 'networking.k8s.io/Ingress':
      return [
        nameCol,
        col('Class', (o) => str(o, 'spec', 'ingressClassName')),
        col(
          'Hosts',
          (o) =>
            list(o, 'spec', 'rules')
              .map((r) => r.host ?? '*')
              .join(',') || '*',
        ),
        col('Address', (o) =>
          list(o, 'status', 'loadBalancer', 'ingress')
            .map((i) => i.ip ?? i.hostname)
            .join(','),
        ),
        col('Ports', (o) => (list(o, 'spec', 'tls').length ? '80, 443' : '80')),
        ageCol,
      ];
    case 'networking.k8s.io/NetworkPolicy':
      return [nameCol, col('Pod-Selector', (o) => selectorText(field(o, 'spec', 'podSelector'))), ageCol];
    case 'coordination.k8s.io/Lease':
      return [nameCol, col('Holder', (o) => (field(o, 'spec', 'holderIdentity') as string) ?? ''), ageCol];
    case 'rbac.authorization.k8s.io/RoleBinding':
    case 'rbac.authorization.k8s.io/ClusterRoleBinding':
      return [
        nameCol,
        col('Role', (o) => `${str(o, 'roleRef', 'kind')}/${str(o, 'roleRef', 'name')}`),
        ageCol,
      ];
    case 'scheduling.k8s.io/PriorityClass':
      return [
        nameCol,
        col('Value', (o) => num(o, 'value'), 'integer'),
        col('Global-Default', (o) => String(field(o, 'globalDefault') ?? false), 'boolean'),
        ageCol,
        col('Preemption Policy', (o) => str(o, 'preemptionPolicy'), 'string', 1),
      ];
    case 'autoscaling/HorizontalPodAutoscaler':
      return [
        nameCol,
        col(
          'Reference',
          (o) => `${str(o, 'spec', 'scaleTargetRef', 'kind')}/${str(o, 'spec', 'scaleTargetRef', 'name')}`,
        ),
        col('Targets', () => '<unknown>'),
        col('MinPods', (o) => num(o, 'spec', 'minReplicas') || 1, 'string'),
        col('MaxPods', (o) => num(o, 'spec', 'maxReplicas'), 'integer'),
        col('Replicas', (o) => num(o, 'status', 'currentReplicas'), 'integer'),
        ageCol,
      ];
    case 'discovery.k8s.io/EndpointSlice':
      return [
        nameCol,
        col('AddressType', (o) => str(o, 'addressType')),
        col(
          'Ports',
          (o) =>
            list(o, 'ports')
              .map((p) => String(p.port ?? ''))
              .join(',') || '<unset>',
        ),
        col(
          'Endpoints',
          (o) =>
            list(o, 'endpoints')
              .flatMap((e) => (Array.isArray(e.addresses) ? e.addresses : []))
              .join(',') || '<unset>',
        ),
        ageCol,
      ];
    case '/Service':
      return [
        nameCol,
        col('Type', (o) => str(o, 'spec', 'type')),
        col('Cluster-IP', (o) => str(o, 'spec', 'clusterIP')),
        col('External-IP', (o) => {
          const ips = [
            ...list(o, 'status', 'loadBalancer', 'ingress').map((i) => String(i.ip ?? i.hostname)),
            ...((field(o, 'spec', 'externalIPs') as string[] | undefined) ?? []),
          ];
          if (ips.length) return ips.join(',');
          if (field(o, 'spec', 'type') === 'ExternalName') return str(o, 'spec', 'externalName');
          return field(o, 'spec', 'type') === 'LoadBalancer' ? '<pending>' : '<none>';
        }),
        col(
          'Port(s)',
          (o) =>
            list(o, 'spec', 'ports')
              .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
              .join(',') || '<none>',
        ),
        ageCol,
        col('Selector', (o) => selectorText(field(o, 'spec', 'selector')), 'string', 1),
      ];
    default:
      return undefined;
  }
}

/**
 * The columns of a kind: the real server's definitions (schema/table-columns.generated.ts: names, types, descriptions,
 * priorities, in its order), each with the cell the sandbox computes for it (the printers of
 * pkg/printers/internalversion/printers.go); a column the sandbox does not compute is empty. A custom resource's are
 * its CRD version's (customResourceColumns).
 */
function columnsFor(def: ResourceDef, crd: KubeObject | undefined, version: string): Column[] {
  if (def.crdName !== undefined) return customResourceColumns(crd, version);
  const real = TABLE_COLUMNS[`${def.group}/${def.kind}`] ?? TABLE_COLUMNS['*custom']!;
  const cells = new Map<string, Column['cell']>(localColumns(def).map((c) => [c.name, c.cell]));
  return real.map((d) => ({ ...d, cell: cells.get(d.name) ?? COMMON_CELLS[d.name] ?? (() => '') }));
}

interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/**
 * A custom resource's columns, as apiextensions-apiserver builds them (pkg/apiserver/helpers.go getColumnsForVersion,
 * pkg/registry/customresource/tableconvertor/tableconvertor.go New): Name, then the requested version's
 * additionalPrinterColumns in order, or Age alone when it has none (the server adds no Age to a CRD's own list).
 * A column whose JSONPath does not parse ends the list there, as New returns the columns it built so far.
 */
function customResourceColumns(crd: KubeObject | undefined, version: string): Column[] {
  const [name, age] = [TABLE_COLUMNS['*custom']![0]!, TABLE_COLUMNS['*custom']![1]!];
  const versions = (
    crd?.spec as { versions?: { name: string; additionalPrinterColumns?: PrinterColumn[] }[] }
  )?.versions;
  const own = versions?.find((v) => v.name === version)?.additionalPrinterColumns ?? [];
  const specs: PrinterColumn[] = own.length ? own : [{ ...age, jsonPath: '.metadata.creationTimestamp' }];
  const columns: Column[] = [{ ...name, cell: (o) => o.metadata.name }];
  for (const spec of specs) {
    let path: JsonPath;
    try {
      path = parseJsonPath(`{${spec.jsonPath}}`);
    } catch {
      break;
    }
    columns.push({
      name: spec.name,
      type: spec.type,
      format: spec.format ?? '',
      description:
        spec.description || `Custom resource definition column (in JSONPath format): ${spec.jsonPath}`,
      priority: spec.priority ?? 0,
      cell: (o, now) => customCell(path, spec.type, o, now),
    });
  }
  return columns;
}

/**
 * ConvertToTable's cell: the first value the path finds (null when none or on an error); a string column prints it
 * (PrintResults), the others keep it when its JSON type fits the column's (cellForJSONValue).
 */
function customCell(path: JsonPath, type: string, o: KubeObject, now: Date): Cell {
  let value: unknown;
  try {
    const results = path.findResults(o);
    if (!results[0]?.length) return null;
    value = results[0][0];
  } catch {
    return null;
  }
  switch (type) {
    case 'string':
      return printJsonPathValue(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? dateCell(value, now) : null;
    default:
      return null;
  }
}

/** metav1.Time's UnmarshalQueryParameter (RFC 3339; empty or `null` is the zero time), then its age */
function dateCell(text: string, now: Date): string {
  if (text === '' || text === 'null') return '<unknown>';
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) || Number.isNaN(t))
    return '<invalid>';
  return t === GO_ZERO_TIME ? '<unknown>' : humanAge(text, now);
}
const GO_ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

/** cells every kind's table may have */
const COMMON_CELLS: Record<string, Column['cell']> = {
  Name: (o) => o.metadata.name,
  Age: (o, now) => humanAge(o.metadata.creationTimestamp, now),
  // a date column holds the timestamp itself (CustomResourceDefinition, Role, ClusterRole)
  'Created At': (o) => o.metadata.creationTimestamp ?? '',
};

/** the age of a timestamp, `<unknown>` when it is not set (translateTimestampSince) */
const since = (t: unknown, now: Date) => (typeof t === 'string' && t !== '' ? humanAge(t, now) : '<unknown>');

/** printEvent (wide, as the server prints), on the core form of either Event API */
function eventColumns(): Column[] {
  const core = (o: KubeObject) => (o.apiVersion === 'events.k8s.io/v1' ? coreEventFromEventsV1(o) : o);
  const first = (o: KubeObject, now: Date) =>
    field(o, 'firstTimestamp') ? since(field(o, 'firstTimestamp'), now) : since(field(o, 'eventTime'), now);
  const lastSeen = (o: KubeObject, now: Date) => {
    if (field(o, 'series')) return since(field(o, 'series', 'lastObservedTime'), now);
    return field(o, 'lastTimestamp') ? since(field(o, 'lastTimestamp'), now) : first(o, now);
  };
  const count = (o: KubeObject) => {
    if (field(o, 'series')) return num(o, 'series', 'count');
    return num(o, 'count') || 1;
  };
  const firstNonEmpty = (...v: unknown[]) =>
    (v.find((x) => typeof x === 'string' && x !== '') as string | undefined) ?? '';
  const c = (name: string, cell: (o: KubeObject, now: Date) => string | number): Column =>
    col(name, (o, now) => cell(core(o), now));
  return [
    c('Last Seen', lastSeen),
    c('Type', (o) => String(field(o, 'type') ?? '')),
    c('Reason', (o) => String(field(o, 'reason') ?? '')),
    c('Object', (o) => {
      const kind = String(field(o, 'involvedObject', 'kind') ?? '').toLowerCase();
      const name = field(o, 'involvedObject', 'name');
      return name ? `${kind}/${String(name)}` : kind;
    }),
    c('Subobject', (o) => String(field(o, 'involvedObject', 'fieldPath') ?? '')),
    c('Source', (o) => {
      const component = firstNonEmpty(field(o, 'source', 'component'), field(o, 'reportingComponent'));
      const instance = firstNonEmpty(field(o, 'source', 'host'), field(o, 'reportingInstance'));
      if (!component) return '<unknown>';
      return instance ? `${component}, ${instance}` : component;
    }),
    c('Message', (o) => String(field(o, 'message') ?? '').trim()),
    c('First Seen', first),
    c('Count', count),
    c('Name', (o) => o.metadata.name),
  ];
}

function localColumns(def: ResourceDef): Column[] {
  if (def.kind === 'Event' && (def.group === '' || def.group === 'events.k8s.io')) return eventColumns();
  const known = groupColumns(def);
  if (known) return known;
  if (def.group !== '') return [nameCol, ageCol];
  switch (def.kind) {
    case 'Namespace':
      return [
        nameCol,
        {
          ...nameCol,
          name: 'Status',
          format: '',
          description: 'The status of the namespace',
          cell: (o) => String((o.status as { phase?: string })?.phase ?? ''),
        },
        ageCol,
      ];
    case 'Secret':
      return [
        nameCol,
        {
          ...nameCol,
          name: 'Type',
          format: '',
          description: 'The type of the secret',
          cell: (o) => String(o.type ?? ''),
        },
        {
          ...nameCol,
          name: 'Data',
          type: 'string',
          format: '',
          description: 'The number of entries in data',
          cell: dataCount,
        },
        ageCol,
      ];
    case 'ConfigMap':
      return [
        nameCol,
        {
          ...nameCol,
          name: 'Data',
          format: '',
          description: 'The number of entries in data',
          cell: dataCount,
        },
        ageCol,
      ];
    default:
      return [nameCol, ageCol];
  }
}

/**
 * A row's object (handlers/response.go asTable): the object, its PartialObjectMetadata, or for None no object, which
 * TableRow's RawExtension writes as `"object": null` (omitempty does not drop a struct).
 */
function rowObject(o: KubeObject, include: IncludeObject): object | null {
  if (include === 'None') return null;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(
  def: ResourceDef,
  objects: KubeObject[],
  opts: {
    include: IncludeObject;
    resourceVersion: string;
    continue?: string;
    /** a page's count of items after it (handlers/response.go asTable copies the list's ListMeta) */
    remainingItemCount?: number;
    now: Date;
    /** the version asked for, whose printer columns a custom resource's table shows */
    version: string;
    /** a custom resource's CustomResourceDefinition */
    crd?: KubeObject | undefined;
  },
): object {
  const cols = columnsFor(def, opts.crd, opts.version);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      resourceVersion: opts.resourceVersion,
      ...(opts.continue ? { continue: opts.continue } : {}),
      ...(opts.remainingItemCount !== undefined ? { remainingItemCount: opts.remainingItemCount } : {}),
    },
    columnDefinitions: cols.map(({ cell: _c, ...rest }) => rest),
    rows: objects.map((o) => ({
      cells: cols.map((c) => c.cell(o, opts.now)),
      object: rowObject(o, opts.include),
    })),
  };
}
