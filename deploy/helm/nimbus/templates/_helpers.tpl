{{/* Labels every object of the release carries. */}}
{{- define "nimbus.labels" -}}
app.kubernetes.io/part-of: nimbus
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* Selector of one component (a service, etcd, nats): (dict "root" $ "name" "compute"). */}}
{{- define "nimbus.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
{{- end }}

{{/* The object name of a component: <release>-<name>. */}}
{{- define "nimbus.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* The Nimbus image. */}}
{{- define "nimbus.image" -}}
{{ printf "%s:%s" .Values.image.repository .Values.image.tag | quote }}
{{- end }}

{{/* The Secret holding the tokens. */}}
{{- define "nimbus.secretName" -}}
{{- if .Values.auth.existingSecret -}}
{{ .Values.auth.existingSecret }}
{{- else -}}
{{ include "nimbus.fullname" (dict "root" . "name" "auth") }}
{{- end -}}
{{- end }}

{{/* etcd client URLs, comma-separated: the bundled members or the external ones. */}}
{{- define "nimbus.storeEndpoints" -}}
{{- if .Values.etcd.bundled -}}
{{- $name := include "nimbus.fullname" (dict "root" . "name" "etcd") -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.etcd.replicas) -}}
{{- $urls = append $urls (printf "http://%s-%d.%s:2379" $name $i $name) -}}
{{- end -}}
{{ join "," $urls }}
{{- else -}}
{{ required "etcd.externalEndpoints is required when etcd.bundled is false" (join "," .Values.etcd.externalEndpoints) }}
{{- end -}}
{{- end }}

{{/* NATS server URLs, comma-separated: the bundled servers or the external ones. */}}
{{- define "nimbus.busServers" -}}
{{- if .Values.nats.bundled -}}
{{- $name := include "nimbus.fullname" (dict "root" . "name" "nats") -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.nats.replicas) -}}
{{- $urls = append $urls (printf "nats://%s-%d.%s:4222" $name $i $name) -}}
{{- end -}}
{{ join "," $urls }}
{{- else -}}
{{ required "nats.externalServers is required when nats.bundled is false" (join "," .Values.nats.externalServers) }}
{{- end -}}
{{- end }}

{{/* NIMBUS_ENDPOINTS: every enabled service that is not per zone, by its Service. */}}
{{- define "nimbus.endpoints" -}}
{{- $root := . -}}
{{- $endpoints := dict -}}
{{- range $name, $svc := .Values.services -}}
{{- if and $svc.enabled (not $svc.perZone) -}}
{{- $_ := set $endpoints $name (printf "%s:%d" (include "nimbus.fullname" (dict "root" $root "name" $name)) (int $root.Values.grpcPort)) -}}
{{- end -}}
{{- end -}}
{{ toJson $endpoints }}
{{- end }}

{{/* Environment of every Nimbus container: the ConfigMap and the tokens. */}}
{{- define "nimbus.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "nimbus.fullname" (dict "root" . "name" "settings") }}
env:
  - name: NIMBUS_AUTH_TOKENS
    valueFrom: { secretKeyRef: { name: {{ include "nimbus.secretName" . }}, key: authTokens } }
  - name: NIMBUS_SERVICE_TOKEN
    valueFrom: { secretKeyRef: { name: {{ include "nimbus.secretName" . }}, key: serviceToken } }
{{- end }}

{{/* Probes on grpc.health.v1 at a port: (dict "root" $ "port" 50051). */}}
{{- define "nimbus.probes" -}}
startupProbe:
  grpc: { port: {{ .port }} }
  periodSeconds: 5
  failureThreshold: {{ div (int .root.Values.probes.startupSeconds) 5 }}
readinessProbe:
  grpc: { port: {{ .port }} }
  periodSeconds: {{ .root.Values.probes.periodSeconds }}
livenessProbe:
  grpc: { port: {{ .port }} }
  periodSeconds: {{ .root.Values.probes.periodSeconds }}
  failureThreshold: {{ .root.Values.probes.livenessFailures }}
{{- end }}

{{/* The init container that makes the NIMBUS stream replicated before the service opens the bus. */}}
{{- define "nimbus.streamInit" -}}
- name: bus-stream
  image: {{ include "nimbus.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["node", "deploy/ensure-stream.mjs"]
  envFrom:
    - configMapRef:
        name: {{ include "nimbus.fullname" (dict "root" . "name" "settings") }}
  env:
    - { name: NIMBUS_BUS_REPLICAS, value: {{ .Values.nats.streamReplicas | quote }} }
  securityContext: {{ include "nimbus.restricted" . | nindent 4 }}
{{- end }}

{{/* Security context of an unprivileged Nimbus container. */}}
{{- define "nimbus.restricted" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.runAsUser }}
allowPrivilegeEscalation: false
capabilities: { drop: [ALL] }
{{- end }}

{{/* The shared volume's claim. */}}
{{- define "nimbus.sharedClaim" -}}
{{- if .Values.sharedStorage.existingClaim -}}
{{ .Values.sharedStorage.existingClaim }}
{{- else -}}
{{ include "nimbus.fullname" (dict "root" . "name" "shared") }}
{{- end -}}
{{- end }}
