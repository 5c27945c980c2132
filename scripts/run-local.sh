#!/usr/bin/env bash
# `make run`: the whole hotline on this machine with local defaults.
#   project-owned PostgreSQL 15 on 127.0.0.1:5433, Asterisk 22 with our dialplan
#   (AMI 127.0.0.1:5038), demo roster with an official on duty now, samad-ivr serve.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"

export SAMAD_DATABASE_URL="${SAMAD_DATABASE_URL:-$(scripts/postgres-dev.sh start | tail -n1)}"
while IFS='=' read -r key value; do
    export "$key=$value"
done < <(scripts/asterisk-dev.sh start)

.venv/bin/samad-ivr seed-demo
cat <<MSG

samad-ivr is starting.  In another shell, place a demo call (a caller speaking a request
to the official on duty, who answers and replies):

    cd $HERE && .venv/bin/samad-ivr call --from 09181234567

Environment for that shell (Asterisk paths of this local instance):
$(scripts/asterisk-dev.sh env | sed 's/^/    export /')

Recordings land in \$SAMAD_RECORDINGS_DIR; calls, requests and the SMS outbox in
PostgreSQL ($SAMAD_DATABASE_URL).  Stop with Ctrl-C, then \`make stop\`.

MSG
exec .venv/bin/samad-ivr serve
