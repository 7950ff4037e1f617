{{/*
Helpers of the admission policies (admission-mirrors.yaml, admission-sources.yaml, docs/admission.md).
Everything a policy says about a key is rendered for controller.annotationPrefix, so a KubeMirror-compatible
install (kubemirror.raczylo.com) protects its own keys.
*/}}

{{/* True (non-empty) when the policy named by .which ("mirrors" or "sources") is rendered. */}}
{{- define "kubemirror.admission.enabled" -}}
{{- $ap := .root.Values.admissionPolicies }}
{{- /* ValidatingAdmissionPolicy is served as admissionregistration.k8s.io/v1 from Kubernetes 1.30 on */}}
{{- if and $ap.enabled (get $ap .which).enabled (semverCompare ">=1.30.0-0" .root.Capabilities.KubeVersion.Version) }}true{{ end }}
{{- end }}

{{/* The annotation prefix, checked: it goes into label keys and CEL string literals. */}}
{{- define "kubemirror.admission.prefix" -}}
{{- $p := toString .Values.controller.annotationPrefix }}
{{- if or (gt (len $p) 253) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" $p)) }}
{{- fail (printf "controller.annotationPrefix: %q is not a DNS subdomain (lowercase labels of letters, digits and '-' separated by '.')" $p) }}
{{- end }}
{{- $p }}
{{- end }}

{{/* Warn or Deny for the policy named by .which: its own action, else admissionPolicies.action. */}}
{{- define "kubemirror.admission.action" -}}
{{- $ap := .root.Values.admissionPolicies }}
{{- default $ap.action (get $ap .which).action }}
{{- end }}

{{/*
The users that may always write mirrors, as a JSON (= CEL) list: the controller's ServiceAccount, the namespace
controller and the garbage collector (kube-controller-manager with --use-service-account-credentials, as kubeadm
runs it; without, all its controllers are system:kube-controller-manager), then admissionPolicies.exemptUsers.
*/}}
{{- define "kubemirror.admission.exemptUsers" -}}
{{- $sa := printf "system:serviceaccount:%s:%s" .Release.Namespace (include "kubemirror.serviceAccountName" .) }}
{{- $system := list $sa "system:serviceaccount:kube-system:namespace-controller" "system:serviceaccount:kube-system:generic-garbage-collector" "system:kube-controller-manager" }}
{{- concat $system .Values.admissionPolicies.exemptUsers | uniq | toJson }}
{{- end }}

{{- define "kubemirror.admission.binding" -}}
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: {{ include "kubemirror.fullname" .root }}-{{ .which }}
  labels:
    {{- include "kubemirror.labels" .root | nindent 4 }}
spec:
  policyName: {{ include "kubemirror.fullname" .root }}-{{ .which }}
  validationActions: [{{ include "kubemirror.admission.action" . }}]
{{- end }}
