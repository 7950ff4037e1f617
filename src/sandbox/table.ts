import type { KubeObject } from '../core/types.js';
import type { ResourceDef } from './resource-registry.js';

/** `meta.k8s.io/v1` Table output, which `kubectl get` asks for with `Accept: ...;as=Table`. */

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  cell: (o: KubeObject, now: Date) => string | number;
}

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

function columnsFor(def: ResourceDef): Column[] {
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

function rowObject(o: KubeObject, include: IncludeObject): object | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(
  def: ResourceDef,
  objects: KubeObject[],
  opts: { include: IncludeObject; resourceVersion: string; continue?: string; now: Date },
): object {
  const cols = columnsFor(def);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      resourceVersion: opts.resourceVersion,
      ...(opts.continue ? { continue: opts.continue } : {}),
    },
    columnDefinitions: cols.map(({ cell: _c, ...rest }) => rest),
    rows: objects.map((o) => {
      const object = rowObject(o, opts.include);
      return { cells: cols.map((c) => c.cell(o, opts.now)), ...(object ? { object } : {}) };
    }),
  };
}
