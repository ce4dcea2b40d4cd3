#!/bin/sh
# Checks an Offload callback as Standard Webhooks describes (README: Callbacks). Tested by
# dev.offload.web.WebhooksIT against real deliveries.
# usage: verify-signature.sh SECRET WEBHOOK-ID WEBHOOK-TIMESTAMP 'WEBHOOK-SIGNATURE' < body
secret=$1 id=$2 ts=$3 signatures=$4
now=$(date +%s)
if [ $((now - ts)) -gt 300 ] || [ $((ts - now)) -gt 300 ]; then
  echo "timestamp too far from now: a replay?" >&2; exit 1
fi
key=$(printf '%s' "${secret#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \n')
expected=$({ printf '%s.%s.' "$id" "$ts"; cat; } \
  | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)
for s in $signatures; do            # a space-separated list; any v1 that matches will do
  [ "$s" = "v1,$expected" ] && exit 0
done
echo "signature does not match" >&2; exit 1
