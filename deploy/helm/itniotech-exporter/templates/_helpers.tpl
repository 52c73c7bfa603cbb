{{/* The chart name. */}}
{{- define "itniotech-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name of every object: the release name, plus the chart name unless it contains it. */}}
{{- define "itniotech-exporter.fullname" -}}
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

{{- define "itniotech-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: never change them on a live release (a Deployment's selector cannot change). */}}
{{- define "itniotech-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "itniotech-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The `helm test` pod's labels: its own name, so that nothing selecting the exporter selects it. */}}
{{- define "itniotech-exporter.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "itniotech-exporter.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}

{{- define "itniotech-exporter.testLabels" -}}
helm.sh/chart: {{ include "itniotech-exporter.chart" . }}
{{ include "itniotech-exporter.testSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "itniotech-exporter.labels" -}}
helm.sh/chart: {{ include "itniotech-exporter.chart" . }}
{{ include "itniotech-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "itniotech-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "itniotech-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "itniotech-exporter.secretName" -}}
{{- default (include "itniotech-exporter.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* registry/repository:tag, or @digest when a digest is given; global.imageRegistry wins over image.registry. */}}
{{- define "itniotech-exporter.image" -}}
{{- $registry := default .Values.image.registry ((.Values.global).imageRegistry) }}
{{- $repository := ternary (printf "%s/%s" $registry .Values.image.repository) .Values.image.repository (ne $registry "") }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "itniotech-exporter.webConfigFile" -}}
/etc/itniotech-exporter/web/{{ .Values.webConfig.key }}
{{- end }}

{{/* Refuses values that would render a pod that cannot work, naming the value and what to do. */}}
{{- define "itniotech-exporter.validate" -}}
{{- range .Values.extraArgs }}
{{- if or (eq . "--web.listen-address") (hasPrefix "--web.listen-address=" .) }}
{{- fail "extraArgs must not contain --web.listen-address: set containerPort instead (the flag is repeatable, so a second one would add a listener, not move it)" }}
{{- end }}
{{- end }}
{{- if and .Values.webConfig.tls (not .Values.webConfig.existingSecret) }}
{{- fail "webConfig.tls needs webConfig.existingSecret: TLS is turned on by the web config in that Secret" }}
{{- end }}
{{- if and .Values.webConfig.clientCertRequired (not .Values.webConfig.tls) }}
{{- fail "webConfig.clientCertRequired needs webConfig.tls: client certificates exist only with TLS" }}
{{- end }}
{{- end }}

{{/*
A probe of the values, made to match the web config: with webConfig.tls an httpGet probe gets scheme HTTPS
(the kubelet does not verify the certificate); with webConfig.clientCertRequired it becomes a tcpSocket probe
on the same port, since the kubelet sends no client certificate and the TLS handshake would fail.
*/}}
{{- define "itniotech-exporter.probe" -}}
{{- $probe := deepCopy .probe }}
{{- $web := .Values.webConfig }}
{{- if hasKey $probe "httpGet" }}
{{- if $web.clientCertRequired }}
{{- $port := $probe.httpGet.port }}
{{- $_ := unset $probe "httpGet" }}
{{- $_ := set $probe "tcpSocket" (dict "port" $port) }}
{{- else if and $web.tls (not (hasKey $probe.httpGet "scheme")) }}
{{- $_ := set $probe.httpGet "scheme" "HTTPS" }}
{{- end }}
{{- end }}
{{- toYaml $probe }}
{{- end }}

{{/* The ServiceMonitor's scheme: serviceMonitor.scheme when set, else https exactly when webConfig.tls is on. */}}
{{- define "itniotech-exporter.scrapeScheme" -}}
{{- default (ternary "https" "http" (.Values.webConfig.tls | default false)) .Values.serviceMonitor.scheme }}
{{- end }}
