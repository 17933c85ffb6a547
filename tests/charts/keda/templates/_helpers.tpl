{{/* Stand-in chart helpers (copied from tests/charts/src/_helpers.tpl by tests/charts/gen.py). */}}
{{- define "standin.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
choreoctl.dev/stand-in: "true"
{{- end }}

{{- define "standin.selector" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "standin.image" -}}
{{- printf "%s/standin/%s:%s" (.ctx.Values.global.imageRegistry | default "registry.example.org") .name .ctx.Chart.AppVersion -}}
{{- end }}
