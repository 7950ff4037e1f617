import { type ApiError, apiErrors } from './api-error.js';
import type { AdmissionRule, FieldOwnerHandle, FieldOwnerRule } from './test-doubles.js';

export interface FailureRule {
  /** 0..1, the share of matching requests that fail */
  fraction: number;
  /** 403: as RBAC refuses a verb on a resource */
  code: 500 | 429 | 409 | 503 | 403;
  /** audit verbs (get, list, watch, create, update, patch, delete, deletecollection); all when absent */
  verbs?: string[];
  /** plural resource names (secrets, namespaces…); all when absent */
  resources?: string[];
}

/** The fault-injection surface tests and benchmarks drive. */
export interface SandboxFaults {
  /** end every open watch now (clients see the stream close) */
  dropWatches(): void;
  /** forget the watch history: every resourceVersion handed out so far becomes too old (410) */
  compactHistory(): void;
  /** fail a fraction of matching requests; returns a function that removes the rule */
  failRequests(rule: FailureRule): () => void;
  /** delay every API request by `ms` */
  setLatency(ms: number): void;
  /** answer new watch requests with 503 while on */
  refuseWatches(on: boolean): void;
  /** a mutating-admission rule (test-doubles.ts); returns a function that removes it */
  admission(rule: AdmissionRule): () => void;
  /** another controller that keeps one annotation of matching objects at its value (test-doubles.ts) */
  fieldOwner(rule: FieldOwnerRule): FieldOwnerHandle;
  /** remove failure rules, latency, refusal, admission rules and field owners */
  clear(): void;
}

/** State of the injected faults, consulted by the HTTP layer on every request. */
export class FaultState {
  latencyMs = 0;
  watchesRefused = false;
  private rules: FailureRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  addRule(rule: FailureRule): () => void {
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  clear(): void {
    this.rules = [];
    this.latencyMs = 0;
    this.watchesRefused = false;
  }

  /** The injected failure for this request, if any rule fires. */
  failureFor(verb: string, resource: string): ApiError | undefined {
    for (const r of this.rules) {
      if (r.verbs && !r.verbs.includes(verb)) continue;
      if (r.resources && !r.resources.includes(resource)) continue;
      if (this.random() < r.fraction) return apiErrors.injected(r.code);
    }
    return undefined;
  }
}
