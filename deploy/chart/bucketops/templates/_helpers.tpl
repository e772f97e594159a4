{{- define "bucketops.labels" -}}
app.kubernetes.io/name: bucketops
app.kubernetes.io/part-of: bucketops
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
