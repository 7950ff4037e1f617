{{- define "kubemirror.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kubemirror.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kubemirror.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubemirror.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "kubemirror.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kubemirror.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kubemirror
{{- end }}

{{- define "kubemirror.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubemirror.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kubemirror.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Namespace of the leader election Lease: the Role for leases is created there. */}}
{{- define "kubemirror.leaseNamespace" -}}
{{- default .Release.Namespace .Values.controller.leaderElectionNamespace }}
{{- end }}

{{/* namespace/name of the settings ConfigMap, "" when there is none. */}}
{{- define "kubemirror.configMapRef" -}}
{{- if .Values.controller.configMap }}
{{- .Values.controller.configMap }}
{{- else if .Values.settingsConfigMap.create }}
{{- printf "%s/%s-config" .Release.Namespace (include "kubemirror.fullname" .) }}
{{- end }}
{{- end }}

{{/* Port of a bind address like ":8080" or "0.0.0.0:8080"; "" when disabled ("0"). */}}
{{- define "kubemirror.port" -}}
{{- $addr := toString . }}
{{- if and (ne $addr "0") (ne $addr "") }}
{{- regexReplaceAll "^.*:" $addr "" }}
{{- end }}
{{- end }}

{{/*
Settings passed as flags when their value differs from the controller's default:
[values key, flag, kind, controller default as the flag would spell it].
leaderElectionNamespace and configMap are always passed (see the Deployment); logLevel is LOG_LEVEL,
logFormat is LOG_FORMAT.
*/}}
{{- define "kubemirror.flagSettings" -}}
- [resourceTypes, resource-types, list, ""]
- [discoveryInterval, discovery-interval, string, 5m]
- [resyncPeriod, resync-period, string, 10m]
- [leaderElect, leader-elect, bool, "true"]
- [maxTargets, max-targets, int, "100"]
- [workerThreads, worker-threads, int, "5"]
- [rateLimitQps, rate-limit-qps, number, "50"]
- [rateLimitBurst, rate-limit-burst, int, "100"]
- [verifySourceFreshness, verify-source-freshness, bool, "false"]
- [excludedNamespaces, excluded-namespaces, list, ""]
- [includedNamespaces, included-namespaces, list, ""]
- [sourceNamespaces, source-namespaces, list, ""]
- [systemNamespaces, system-namespaces, list, "kube-system,kube-public,kube-node-lease"]
- [annotationPrefix, annotation-prefix, string, kubemirror.io]
- [finalizers, finalizers, bool, "true"]
- [stripKeys, strip-keys, list, "kubectl.kubernetes.io/last-applied-configuration,argocd.argoproj.io/*,app.kubernetes.io/instance,app.kubernetes.io/managed-by,helm.sh/*,meta.helm.sh/*,kustomize.toolkit.fluxcd.io/*"]
- [metricsBindAddress, metrics-bind-address, string, ":8080"]
- [healthProbeBindAddress, health-probe-bind-address, string, ":8081"]
- [leaderElectionId, leader-election-id, string, kubemirror-leader]
- [transformMaxRules, transform-max-rules, int, "50"]
- [transformMaxBytes, transform-max-bytes, int, "10240"]
- [transformRenderTimeout, transform-render-timeout, string, 100ms]
- [canaryInterval, canary-interval, string, "0"]
- [canaryNamespaces, canary-namespaces, list, kubemirror-canary]
- [canaryCleanup, canary-cleanup, bool, "false"]
- [clusterName, cluster-name, string, local]
- [remoteClusters, remote-clusters, bool, "false"]
- [clusterSecrets, cluster-secrets, list, ""]
{{- end }}

{{/* One setting's value as the flag spells it. */}}
{{- define "kubemirror.settingValue" -}}
{{- $v := .value }}
{{- if kindIs "slice" $v }}
{{- join "," $v }}
{{- else if eq .kind "int" }}
{{- printf "%d" (int64 $v) }}
{{- else if eq .kind "number" }}
{{- /* never 1e+06: the controller reads plain decimals */}}
{{- regexReplaceAll "\\.?0+$" (printf "%f" (float64 $v)) "" }}
{{- else }}
{{- toString $v }}
{{- end }}
{{- end }}

{{- define "kubemirror.args" -}}
- run
- {{ printf "--leader-election-namespace=%s" (include "kubemirror.leaseNamespace" .) | quote }}
{{- with include "kubemirror.configMapRef" . }}
- {{ printf "--config-map=%s" . | quote }}
{{- end }}
{{- $c := .Values.controller }}
{{- range (include "kubemirror.flagSettings" . | fromYamlArray) }}
{{- $key := index . 0 }}
{{- if and (hasKey $c $key) (not (kindIs "invalid" (index $c $key))) }}
{{- $s := include "kubemirror.settingValue" (dict "value" (index $c $key) "kind" (index . 2)) }}
{{- if ne $s (index . 3) }}
- {{ printf "--%s=%s" (index . 1) $s | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/*
Plural resource name of a kind, the way Kubernetes names the common cases: lowercase, then "es" after
s/x/z/ch/sh, "ies" for a consonant followed by y, else "s". rbac.pluralOverrides wins.
*/}}
{{- define "kubemirror.plural" -}}
{{- if hasKey .overrides .kind }}
{{- get .overrides .kind }}
{{- else }}
{{- $l := lower .kind }}
{{- if regexMatch "(s|x|z|ch|sh)$" $l }}
{{- printf "%ses" $l }}
{{- else if regexMatch "[^aeiou]y$" $l }}
{{- printf "%sies" (trimSuffix "y" $l) }}
{{- else }}
{{- printf "%ss" $l }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kubemirror.mirrorVerbs" -}}
["get", "list", "watch", "create", "update", "patch", "delete"]
{{- end }}

{{/* ClusterRole rules for the mirrored resources: exactly controller.resourceTypes, or everything for discovery. */}}
{{- define "kubemirror.resourceRules" -}}
{{- if .Values.controller.resourceTypes }}
{{- $groups := dict }}
{{- range .Values.controller.resourceTypes }}
{{- if not (regexMatch "^[A-Z][A-Za-z0-9]*\\.v[0-9]+((alpha|beta)[0-9]+)?(\\.[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$" .) }}
{{- fail (printf "controller.resourceTypes: %q is not Kind.version[.group], e.g. Ingress.v1.networking.k8s.io" .) }}
{{- end }}
{{- $parts := splitList "." . }}
{{- $group := "" }}
{{- if gt (len $parts) 2 }}
{{- $group = slice $parts 2 | join "." }}
{{- end }}
{{- $plural := include "kubemirror.plural" (dict "kind" (index $parts 0) "overrides" $.Values.rbac.pluralOverrides) }}
{{- $_ := set $groups $group (append (default (list) (get $groups $group)) $plural | uniq | sortAlpha) }}
{{- end }}
{{- range $group := keys $groups | sortAlpha }}
- apiGroups: [{{ $group | quote }}]
  resources: {{ get $groups $group | toJson }}
  verbs: {{ include "kubemirror.mirrorVerbs" $ }}
{{- end }}
{{- else }}
# Auto-discovery: any namespaced type may be mirrored, including CRDs installed later, so the controller needs
# its verbs on every resource. Set controller.resourceTypes to replace this with exactly the listed resources.
- apiGroups: ["*"]
  resources: ["*"]
  verbs: {{ include "kubemirror.mirrorVerbs" . }}
{{- end }}
{{- end }}

{{/* True (non-empty) when the canary runs: controller.canaryInterval set to a duration other than 0. */}}
{{- define "kubemirror.canaryEnabled" -}}
{{- $i := toString (default "0" .Values.controller.canaryInterval) }}
{{- if not (regexMatch "^0+(\\.0+)?(ms|s|m|h)?$" $i) }}true{{ end }}
{{- end }}
