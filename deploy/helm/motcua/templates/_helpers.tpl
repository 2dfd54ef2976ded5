{{/* Names, labels and the pieces every process's pod shares. */}}

{{- define "motcua.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "motcua.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selects one process's pods: ctx is the root, name the process. */}}
{{- define "motcua.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "motcua.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "motcua.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "motcua.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "motcua.keysSecret" -}}
{{- default (printf "%s-keys" (include "motcua.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "motcua.signingSecret" -}}
{{- default (printf "%s-officer-token-signing" (include "motcua.fullname" .)) .Values.secrets.officerToken.existingSigningSecret -}}
{{- end -}}

{{- define "motcua.publicKeySecret" -}}
{{- default (printf "%s-officer-token-public" (include "motcua.fullname" .)) .Values.secrets.officerToken.existingPublicSecret -}}
{{- end -}}

{{/* The in-cluster address of a process's Service. */}}
{{- define "motcua.internalUrl" -}}
{{- $process := index .ctx.Values.processes .name -}}
{{- printf "http://%s-%s:%v" (include "motcua.fullname" .ctx) .name $process.port -}}
{{- end -}}

{{/* One key of the chart's keys Secret as an env var. */}}
{{- define "motcua.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "motcua.keysSecret" .ctx }}
      key: {{ .key }}
{{- end -}}

{{/* DATABASE_URL of a service's own role: the password comes from the keys Secret and
     is expanded by the kubelet ($(MOTCUA_DB_PASSWORD)), never written in the pod spec. */}}
{{- define "motcua.databaseEnv" -}}
{{ include "motcua.secretEnv" (dict "ctx" .ctx "env" "MOTCUA_DB_PASSWORD" "key" (printf "%s-db-password" .service)) }}
- name: DATABASE_URL
  value: {{ printf "postgresql://motcua_%s:$(MOTCUA_DB_PASSWORD)@%s:%v/%s" .service .ctx.Values.postgresql.host .ctx.Values.postgresql.port .ctx.Values.postgresql.database | quote }}
{{- end -}}

{{/* What a pod of any Motcua process carries. */}}
{{- define "motcua.podCommon" -}}
serviceAccountName: {{ include "motcua.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* One step of the provisioning Job run as intake's own role (services.intake.manage). */}}
{{- define "motcua.provisionStep" -}}
- name: {{ .step.name }}
  image: {{ include "motcua.image" .ctx }}
  imagePullPolicy: {{ .ctx.Values.image.pullPolicy }}
  command: ["python", "-m"]
  args:
    {{- toYaml .step.args | nindent 4 }}
  env:
    {{- .db | nindent 4 }}
    {{- with .step.system }}
    {{- include "motcua.secretEnv" (dict "ctx" $.ctx "env" "API_KEY" "key" (printf "%s-intake-api-key" .)) | nindent 4 }}
    {{- end }}
  resources:
    {{- toYaml .ctx.Values.provision.resources | nindent 4 }}
  securityContext:
    {{- toYaml .ctx.Values.securityContext | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
{{- end -}}
