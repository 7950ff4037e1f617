/** Queue keys name objects, never events: `<typeId>|<namespace>/<name>`. */
export interface SourceRef {
  typeId: string;
  namespace: string;
  name: string;
}

export function sourceKey(typeId: string, namespace: string, name: string): string {
  return `${typeId}|${namespace}/${name}`;
}

export function parseSourceKey(key: string): SourceRef {
  const bar = key.indexOf('|');
  const slash = key.indexOf('/', bar + 1);
  return { typeId: key.slice(0, bar), namespace: key.slice(bar + 1, slash), name: key.slice(slash + 1) };
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
