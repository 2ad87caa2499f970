#!/bin/sh
# Roles of the one image. Each `exec`s, so the server is PID 1 and gets SIGTERM.
#   api      gunicorn + uvicorn workers (docker/gunicorn.conf.py); their request
#            threads share Django's psycopg pool unless DATABASE_POOL=0
#   worker   the RQ worker for every queue, with its scheduler and the periodic
#            jobs (fastship/worker.py); it restarts itself after a Redis fault
#   migrate  apply migrations (a one-off task before the services update)
#   check    manage.py check --deploy
#   anything else: passed to manage.py (e.g. `createsuperuser`, `shell`)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/.." && pwd)
cd "$project"
python=${PYTHON:-python}

role=${1:-api}
[ "$#" -gt 0 ] && shift

case "$role" in
  api)
    export DATABASE_POOL="${DATABASE_POOL:-1}"
    # A row lock is waited for 0.5 s, and once more on a create: about a
    # second all in, then 503 with Retry-After.
    export DATABASE_LOCK_TIMEOUT_MS="${DATABASE_LOCK_TIMEOUT_MS:-500}"
    exec "$python" -m gunicorn fastship.asgi:application --config "$here/gunicorn.conf.py" "$@"
    ;;
  worker)
    exec "$python" manage.py run_worker "$@"
    ;;
  migrate)
    exec "$python" manage.py migrate --no-input "$@"
    ;;
  check)
    exec "$python" manage.py check --deploy --fail-level WARNING "$@"
    ;;
  *)
    exec "$python" manage.py "$role" "$@"
    ;;
esac
