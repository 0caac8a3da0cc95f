#!/usr/bin/env bash
# A local single-node KRaft Apache Kafka broker (combined broker + controller) on loopback, resolved
# from Maven Central. No Docker needed. Everything it writes lives under .kafka/ (git-ignored).
#
#   scripts/kafka-broker.sh fetch                 resolve the broker jars into .kafka/lib
#   scripts/kafka-broker.sh up [NAME] [PORT]      start broker NAME (default: dev on 9092; PORT=auto picks a free one)
#   scripts/kafka-broker.sh down [NAME]           stop broker NAME, leave nothing running
#   scripts/kafka-broker.sh kill NAME             SIGKILL broker NAME (a crash, for fault tests)
#   scripts/kafka-broker.sh with-broker CMD...    run CMD against a fresh throw-away broker on a free port
#                                                 (or the one named by KAFKA_BOOTSTRAP_SERVERS), then stop it
#
# `up` adds a SASL_SSL listener (on a port of its own, written to .kafka/instances/NAME/bootstrap-sasl-ssl)
# when BROKER_SASL_SSL_KEYSTORE names a PEM file holding the broker's private key (unencrypted
# PKCS#8) and its certificate chain. BROKER_SCRAM_USERS ("name=password ...", letters and digits
# only) are then the users it knows: SCRAM-SHA-256 and SCRAM-SHA-512 credentials, created with
# Kafka's storage tool when the broker's storage is formatted, and PLAIN logins.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="$root/.kafka"
lib="$home/lib"
here="$root/scripts/kafka"
python="${PYTHON:-python3}"

log() { echo "kafka-broker: $*" >&2; }

fetch() {
  local stamp="$lib/.resolved-$(sha256sum "$here/pom.xml" | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  command -v java >/dev/null || { log "java not found (Kafka 4.x needs Java 17+)"; exit 1; }
  command -v mvn >/dev/null || { log "mvn not found (used to resolve Kafka from Maven Central)"; exit 1; }
  log "resolving Apache Kafka from Maven Central (once)..."
  rm -rf "$lib" && mkdir -p "$lib"
  # Maven's output goes to a log, shown (without its terminal escape codes) only if it fails.
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$lib" -DincludeScope=runtime >"$home/maven.log" 2>&1 \
    || { log "Maven failed:"; sed 's/\x1b\[[0-9;]*m//g' "$home/maven.log" >&2; exit 1; }
  touch "$stamp"
}

# A free port below the kernel's ephemeral range. A named broker restarts on the same ports (the
# outage test stops and restarts one); an ephemeral port could meanwhile become the local port of
# some outgoing connection (or of a client reconnecting to itself), and the restart would fail with
# "address already in use".
free_port() {
  "$python" - <<'PY'
import random, socket
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
except OSError:
    low = 49152  # the IANA dynamic range, where other systems take ephemeral ports from
for _ in range(200):
    port = random.randrange(10000, low)
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    print(port)
    break
else:
    raise SystemExit("no free port found")
PY
}

is_running() { # NAME
  local pidfile="$home/instances/$1/pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

up() { # NAME PORT
  local name="$1" port="$2" dir="$home/instances/$1" cport
  fetch
  if is_running "$name"; then
    log "broker '$name' already running"
    cat "$dir/bootstrap"
    return 0
  fi
  mkdir -p "$dir"
  # A named broker keeps its ports and data between starts (KRaft metadata names the controller's
  # address, so changing it would orphan the stored topics).
  local sport=""
  if [ -f "$dir/ports" ]; then
    read -r port cport sport <"$dir/ports"
  else
    [ "$port" = auto ] && port="$(free_port)"
    cport="$(free_port)"
    while [ "$cport" = "$port" ]; do cport="$(free_port)"; done
    echo "$port $cport" >"$dir/ports"
  fi
  local listeners="PLAINTEXT://127.0.0.1:$port" protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  local sasl_ssl="" scram_args=()
  if [ -n "${BROKER_SASL_SSL_KEYSTORE:-}" ]; then
    if [ -z "$sport" ]; then
      sport="$(free_port)"
      while [ "$sport" = "$port" ] || [ "$sport" = "$cport" ]; do sport="$(free_port)"; done
      echo "$port $cport $sport" >"$dir/ports"
    fi
    listeners="$listeners,SASL_SSL://127.0.0.1:$sport"
    protocols="$protocols,SASL_SSL:SASL_SSL"
    local user login secret plain_users=""
    for user in ${BROKER_SCRAM_USERS:-}; do
      login="${user%%=*}" secret="${user#*=}"
      scram_args+=(--add-scram "SCRAM-SHA-256=[name=$login,password=$secret]"
        --add-scram "SCRAM-SHA-512=[name=$login,password=$secret]")
      plain_users="$plain_users user_$login=\"$secret\""
    done
    sasl_ssl="sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required$plain_users;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$BROKER_SASL_SSL_KEYSTORE"
  fi
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=$listeners,CONTROLLER://127.0.0.1:$cport
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
$sasl_ssl
log.dirs=$dir/data
num.partitions=1
# A public gateway must never create topics as a side effect of a produce or a read.
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  local cp="$lib/*" jvm=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$here/log4j2.properties" "-Dkafka.logfile=$dir/broker.log")
  if [ ! -f "$dir/data/meta.properties" ]; then
    local cluster_id
    # Like Kafka's own Uuid.randomUuid(): never one that starts with "-" (1 in 64 of them would),
    # which the storage tool's argument parser takes for an option and refuses.
    cluster_id="$("$python" -c 'import base64, uuid
while (i := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"): pass
print(i)')"
    java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool format \
      --cluster-id="$cluster_id" -c "$dir/server.properties" "${scram_args[@]}" \
      >"$dir/format.log" 2>&1 \
      || { log "formatting storage failed:"; cat "$dir/format.log" >&2; exit 1; }
  fi
  : >"$dir/broker.log"
  nohup java "${jvm[@]}" -cp "$cp" kafka.Kafka "$dir/server.properties" >"$dir/stdout.log" 2>&1 &
  echo $! >"$dir/pid"
  echo "127.0.0.1:$port" >"$dir/bootstrap"
  if [ -n "$sasl_ssl" ]; then echo "127.0.0.1:$sport" >"$dir/bootstrap-sasl-ssl"; fi
  local waited=0
  until grep -q "Kafka Server started" "$dir/broker.log" 2>/dev/null; do
    if ! is_running "$name"; then
      log "broker '$name' exited during start-up; last lines of its log:"
      tail -n 30 "$dir/stdout.log" "$dir/broker.log" >&2
      exit 1
    fi
    if [ "$waited" -ge 120 ]; then
      log "broker '$name' not ready after 60 s; see $dir/broker.log"
      down "$name"
      exit 1
    fi
    sleep 0.5; waited=$((waited + 1))
  done
  log "broker '$name' ready at 127.0.0.1:$port (pid $(cat "$dir/pid"), log $dir/broker.log)"
  echo "127.0.0.1:$port"
}

down() { # NAME
  local name="$1" dir="$home/instances/$1"
  if ! is_running "$name"; then
    rm -f "$dir/pid"
    log "broker '$name' not running"
    return 0
  fi
  local pid; pid="$(cat "$dir/pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    log "broker '$name' did not stop in 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
  log "broker '$name' stopped"
}

kill_broker() { # NAME: a crash, not a shutdown (no flush, no controlled leadership hand-off)
  local name="$1" dir="$home/instances/$1" pid
  is_running "$name" || { log "broker '$name' not running"; return 0; }
  pid="$(cat "$dir/pid")"
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$dir/pid"
  log "broker '$name' killed"
}

with_broker() {
  if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
    log "using the broker at $KAFKA_BOOTSTRAP_SERVERS"
    "$@"
    return
  fi
  local name="test-$$"
  # Expanded now: the trap runs after this function's locals are gone.
  trap "down '$name'; rm -rf '$home/instances/$name'" EXIT
  KAFKA_BOOTSTRAP_SERVERS="$(up "$name" auto)"
  export KAFKA_BOOTSTRAP_SERVERS
  # The broker script stays the parent so the trap runs; the tests' exit status is passed through.
  "$@"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  fetch) fetch ;;
  up) up "${1:-dev}" "${2:-9092}" ;;
  down) down "${1:-dev}" ;;
  kill) kill_broker "${1:?name}" ;;
  with-broker) with_broker "$@" ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
