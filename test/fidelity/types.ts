/**
 * The shapes of the fidelity catalogue (SPEC §10): a case is a few requests sent in order to one server, in a
 * namespace of its own; the runner sends every case to kube-apiserver and to the sandbox and compares what each
 * answered after normalising generated values (normalise.ts).
 */

/** What a case's requests may read from the answers that came before them, on the server it runs on. */
export interface CaseContext {
  /** the case's own namespace (already created) */
  ns: string;
  /** a folder of files the same for both servers (a TLS key pair for kubectl), see runner.ts writeFixtures */
  fixtures: string;
  /** the answers of the earlier steps, in order (the JSON body, or undefined) */
  bodies: unknown[];
  /** the last object an earlier step returned with metadata (its uid and resourceVersion are this server's) */
  last: { uid: string; resourceVersion: string; [k: string]: unknown } | undefined;
}

type Dyn<T> = T | ((ctx: CaseContext) => T);

export interface HttpStep {
  type?: 'http';
  /** a short name of the step, shown in disagreements ("create", "patch") */
  label: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** the path, `{ns}` replaced by the case's namespace */
  path: Dyn<string>;
  query?: Dyn<Record<string, string | string[]>>;
  /** Content-Type; JSON when a body is given and none is set */
  contentType?: string;
  accept?: string;
  /** an object or array (sent as JSON, or YAML for apply), a string or bytes (sent as they are) */
  body?: Dyn<unknown>;
  /** a watch: the events are collected until the server ends the stream or `watchMs` pass */
  watchMs?: number;
  /** not compared (setup); the case fails to run when it does not succeed on both servers */
  setup?: boolean;
  /** parts of the answer not compared, with the reason (e.g. values a server computes from the wall clock) */
  ignore?: string[];
}

export interface KubectlStep {
  type: 'kubectl';
  label: string;
  /** kubectl's arguments, `{ns}` replaced; `--kubeconfig` and a cache folder are added */
  args: Dyn<string[]>;
  /** stdin (manifests) */
  stdin?: Dyn<string>;
  setup?: boolean;
  /** the part of stdout to compare: all of it (default), or only whether it was printed */
  stdout?: 'compare' | 'ignore';
}

export type Step = HttpStep | KubectlStep;

export interface Case {
  /** unique and stable, e.g. `ConfigMap/create/invalid-name`; the namespace is derived from it */
  id: string;
  /** the catalogue's dimensions of this case, for the report */
  verb: string;
  kind: string;
  variant: string;
  steps: Step[];
  /** read afterwards and compared: what each server stored (a 404 on both is agreement) */
  readBack?: Dyn<string>[];
}

/** One answer, normalised into comparable parts. */
export interface Answer {
  code: number;
  /** `application/json`, `application/yaml`, … (parameters dropped) */
  contentType?: string;
  warnings: string[];
  /** the JSON (or YAML, or protobuf projected to JSON) body */
  body?: unknown;
  /** a watch: the events in order */
  events?: { type: string; object: unknown }[];
  /** kubectl: exit code, stdout and stderr */
  kubectl?: { exit: number; stdout: string; stderr: string };
}
