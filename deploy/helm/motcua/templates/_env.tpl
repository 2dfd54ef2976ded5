{{/* Each process's settings (docs/settings.md), the way docker-compose.yml and
     deploy/local/stack.py give them: ctx is the root, name the process, process its values. */}}

{{- define "motcua.receiptsEnv" -}}
{{- $service := .process.service -}}
- name: DELIVERY_CALLBACK_BASE_URL
  value: {{ index .ctx.Values.publicUrls $service | quote }}
{{- range $channel := list "sms" "zalo" "email" }}
{{ include "motcua.secretEnv" (dict "ctx" $.ctx "env" (printf "DELIVERY_RECEIPT_SECRET_%s" (upper $channel)) "key" (printf "%s-receipt-secret-%s" $service $channel)) }}
{{- end }}
{{- end -}}

{{- define "motcua.processEnv" -}}
{{- $ctx := .ctx -}}
{{- $urls := $ctx.Values.publicUrls -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ $ctx.Values.kafka.bootstrapServers | quote }}
{{ include "motcua.databaseEnv" (dict "ctx" $ctx "service" .process.service) }}
- name: HTTP_HOST
  value: 0.0.0.0
- name: HTTP_PORT
  value: {{ .process.port | quote }}
- name: LOG_LEVEL
  value: {{ $ctx.Values.logLevel | quote }}
- name: PAGES_BOARD_URL
  value: {{ printf "%s/board" $urls.deadlines | quote }}
- name: PAGES_RATINGS_URL
  value: {{ printf "%s/staff" $urls.ratings | quote }}
- name: PAGES_REPORTING_URL
  value: {{ printf "%s/reports" $urls.reporting | quote }}
- name: PAGES_INTAKE_URL
  value: {{ $urls.intake | quote }}
{{- if ne .process.service "intake" }}
- name: INTAKE_URL
  value: {{ include "motcua.internalUrl" (dict "ctx" $ctx "name" "intake") | quote }}
{{ include "motcua.secretEnv" (dict "ctx" $ctx "env" "INTAKE_API_KEY" "key" (printf "%s-intake-api-key" .process.service)) }}
{{- end }}
{{- if has .name (list "intake" "ratings" "reporting") }}
- name: OFFICER_TOKEN_PUBLIC_KEY_FILE
  value: /keys/public/officer-token.pub.pem
- name: SIGNIN_URL
  value: {{ $urls.deadlines | quote }}
{{- end }}
{{- if eq .name "intake" }}
{{ include "motcua.secretEnv" (dict "ctx" $ctx "env" "APPLICANT_REF_KEY" "key" "applicant-ref-key") }}
{{ include "motcua.secretEnv" (dict "ctx" $ctx "env" "SUBJECT_HASH_KEY" "key" "subject-hash-key") }}
{{- end }}
{{- if eq .name "deadlines" }}
- name: KAFKA_REPLICATION_FACTOR
  value: {{ $ctx.Values.kafka.replicationFactor | quote }}
- name: DATA_DIR
  value: /var/lib/motcua/deadlines
- name: LETTER_PUBLIC_URL
  value: {{ $urls.deadlines | quote }}
{{- end }}
{{- if eq .name "deadlines-web" }}
- name: OFFICER_TOKEN_PRIVATE_KEY_FILE
  value: /keys/signing/officer-token.pem
- name: SIGNIN_COOKIES_SECURE
  value: {{ hasPrefix "https://" $urls.deadlines | quote }}
- name: SIGNIN_RETURN_ORIGINS
  value: {{ list $urls.ratings $urls.reporting $urls.intake | join "," | quote }}
{{- end }}
{{- if eq .name "ratings" }}
- name: RATINGS_PUBLIC_URL
  value: {{ $urls.ratings | quote }}
- name: SECURE_COOKIES
  value: {{ hasPrefix "https://" $urls.ratings | quote }}
{{ include "motcua.secretEnv" (dict "ctx" $ctx "env" "RATINGS_TOKEN_KEY" "key" "ratings-token-key") }}
{{ include "motcua.secretEnv" (dict "ctx" $ctx "env" "FORM_SECRET" "key" "ratings-form-secret") }}
{{- end }}
{{- if has .process.service (list "deadlines" "ratings") }}
{{ include "motcua.receiptsEnv" . }}
{{- end }}
{{- range $variable, $value := .process.env }}
- name: {{ $variable }}
  value: {{ $value | quote }}
{{- end }}
{{- range $variable, $ref := .process.secretEnv }}
- name: {{ $variable }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
{{- end }}
{{- end -}}
