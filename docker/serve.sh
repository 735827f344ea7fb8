#!/bin/sh
# The container's command: tritonserver on the baked-in repository, admin APIs behind a key.
# The admin key protects the model-repository, logging and trace APIs; the container refuses to
# start without one. Triton 2.51 names the gRPC flag --grpc-restricted-protocol. Extra
# arguments (e.g. --model-control-mode=explicit --load-model=*) are passed on.
set -eu
: "${IMPRESSIONS_ADMIN_KEY:?set IMPRESSIONS_ADMIN_KEY}"
exec tritonserver --model-repository="${IMPRESSIONS_MODEL_REPOSITORY:-/opt/impressions/model_repository}" \
  --log-verbose=0 --strict-readiness=true \
  --http-restricted-api="model-repository,logging,trace:impressions-admin=${IMPRESSIONS_ADMIN_KEY}" \
  --grpc-restricted-protocol="model-repository,logging,trace:impressions-admin=${IMPRESSIONS_ADMIN_KEY}" \
  "$@"
