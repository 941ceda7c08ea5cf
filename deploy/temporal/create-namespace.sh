#!/bin/sh
# Registers the namespace EfficientBERT uses and the custom search attributes its search workflow
# sets (workflows/definitions.ts: EfficientBertStatus, EfficientBertStage, both Keyword). Runs in
# temporalio/admin-tools once the server answers (deploy/compose.yaml, service temporal-namespace).
# Idempotent. Against a production cluster run the same commands with your own address and TLS.
set -eu
ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"

attempt=0
until temporal operator cluster health --address "$ADDRESS"; do
  attempt=$((attempt + 1))
  [ "$attempt" -lt 60 ] || { echo "Temporal at $ADDRESS never became healthy"; exit 1; }
  sleep 2
done

temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$NAMESPACE" --retention 30d --address "$ADDRESS"

for attr in EfficientBertStatus EfficientBertStage; do
  if temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS" | grep -qw "$attr"; then
    echo "search attribute $attr exists"
  else
    temporal operator search-attribute create --namespace "$NAMESPACE" --address "$ADDRESS" \
      --name "$attr" --type Keyword
  fi
done
echo "namespace $NAMESPACE ready"
