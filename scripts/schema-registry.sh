#!/usr/bin/env bash
# A local Apicurio Registry (in-memory storage) on loopback, resolved from Maven Central, serving the
# Confluent-compatible Schema Registry API under /apis/ccompat/v7. No Docker needed. Everything it
# writes lives under .registry/ (git-ignored).
#
#   scripts/schema-registry.sh fetch                 resolve and unpack Apicurio into .registry/app
#   scripts/schema-registry.sh up [NAME] [PORT]      start registry NAME (default: dev on 8081; PORT=auto picks a free one)
#   scripts/schema-registry.sh down [NAME]           stop registry NAME, leave nothing running
#   scripts/schema-registry.sh with-registry CMD...  run CMD against a fresh throw-away registry on a free port
#                                                    (or the one named by KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL), then stop it
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="$root/.registry"
# Pinned: the registry the tests and `make run` use.
version="3.0.9"
app="$home/app-$version"
python="${PYTHON:-python3}"
api="apis/ccompat/v7"

log() { echo "schema-registry: $*" >&2; }

fetch() {
  [ -f "$app/.unpacked" ] && return 0
  command -v java >/dev/null || { log "java not found (Apicurio Registry needs Java 17+)"; exit 1; }
  command -v mvn >/dev/null || { log "mvn not found (used to resolve Apicurio from Maven Central)"; exit 1; }
  log "resolving Apicurio Registry $version from Maven Central (once)..."
  rm -rf "$app" && mkdir -p "$app"
  # Run from .registry/: without a pom the plugin writes its bookkeeping under the current folder.
  # Maven's output goes to a log, shown (without its terminal escape codes) only if it fails.
  (cd "$home" && mvn -q -B -Dstyle.color=never dependency:unpack \
    -Dartifact="io.apicurio:apicurio-registry-app:$version:tar.gz:all" \
    -DoutputDirectory="$app") >"$home/maven.log" 2>&1 \
    || { log "Maven failed:"; sed 's/\x1b\[[0-9;]*m//g' "$home/maven.log" >&2; exit 1; }
  [ -f "$app/apicurio-registry-app-$version-runner.jar" ] \
    || { log "unpacked archive has no apicurio-registry-app-$version-runner.jar"; exit 1; }
  touch "$app/.unpacked"
}

free_port() {
  "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

is_running() { # NAME
  local pidfile="$home/instances/$1/pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

answers() { # URL: true once the URL answers 200
  "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' \
    "$1" 2>/dev/null
}

up() { # NAME PORT
  local name="$1" port="$2" dir="$home/instances/$1"
  fetch
  if is_running "$name"; then
    log "registry '$name' already running"
    cat "$dir/url"
    return 0
  fi
  mkdir -p "$dir"
  [ "$port" = auto ] && port="$(free_port)"
  # Storage is in memory (the default): a restart starts empty, like a throw-away broker.
  # Run from the instance folder so anything Quarkus writes next to itself stays there.
  # `exec` makes the recorded pid the JVM's own, so `down` stops the registry itself.
  (cd "$dir" && exec nohup java -Xms64m -Xmx512m -Djava.awt.headless=true \
    "-Dquarkus.http.port=$port" -Dquarkus.http.host=127.0.0.1 \
    -Dquarkus.management.enabled=false \
    -jar "$app/apicurio-registry-app-$version-runner.jar") </dev/null >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/pid"
  local url="http://127.0.0.1:$port/$api"
  echo "$url" >"$dir/url"
  local waited=0
  # Ready once its readiness check is UP and the ccompat API answers.
  until answers "http://127.0.0.1:$port/health/ready" && answers "$url/subjects"; do
    if ! is_running "$name"; then
      log "registry '$name' exited during start-up; last lines of its log:"
      tail -n 30 "$dir/registry.log" >&2
      exit 1
    fi
    if [ "$waited" -ge 480 ]; then
      log "registry '$name' not ready after 120 s; see $dir/registry.log"
      down "$name"
      exit 1
    fi
    sleep 0.25; waited=$((waited + 1))
  done
  log "registry '$name' ready at $url (pid $(cat "$dir/pid"), log $dir/registry.log)"
  echo "$url"
}

down() { # NAME
  local name="$1" dir="$home/instances/$1"
  if ! is_running "$name"; then
    rm -f "$dir/pid"
    log "registry '$name' not running"
    return 0
  fi
  local pid; pid="$(cat "$dir/pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    log "registry '$name' did not stop in 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
  log "registry '$name' stopped"
}

with_registry() {
  if [ -n "${KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL:-}" ]; then
    log "using the registry at $KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL"
    "$@"
    return
  fi
  local name="test-$$"
  # Expanded now: the trap runs after this function's locals are gone.
  trap "down '$name'; rm -rf '$home/instances/$name'" EXIT
  KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL="$(up "$name" auto)"
  export KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL
  # The registry script stays the parent so the trap runs; the command's exit status is passed through.
  "$@"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  fetch) fetch ;;
  up) up "${1:-dev}" "${2:-8081}" ;;
  down) down "${1:-dev}" ;;
  with-registry) with_registry "$@" ;;
  *) sed -n '2,11p' "$0" >&2; exit 2 ;;
esac
