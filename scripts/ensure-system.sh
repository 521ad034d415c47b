#!/usr/bin/env bash
# Installs (from Debian) and starts, on loopback, what Magnetar and its tests need.
# Idempotent: every step checks first and does nothing when already satisfied.
# Usage: scripts/ensure-system.sh [docker] [postgres] [clients] [rabbitmq] [schemathesis]   (default: docker)
set -euo pipefail

want=("$@"); [ ${#want[@]} -eq 0 ] && want=(docker)
log() { printf '[ensure-system] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

apt_updated=0
need_pkgs() {  # need_pkgs pkg... : install the Debian packages that are missing
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated = 0 ]; then log "apt-get update"; as_root apt-get update -qq >&2; apt_updated=1; fi
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

wait_for() {  # wait_for seconds description command...
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 $((secs * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  log "timed out waiting for $what"; return 1
}

ensure_docker() {
  need_pkgs docker.io debootstrap iptables tar curl busybox-static
  local ping=(curl -sf --unix-socket /var/run/docker.sock http://localhost/_ping)
  "${ping[@]}" >/dev/null 2>&1 && return 0
  log "starting dockerd"
  as_root setsid nohup dockerd --host unix:///var/run/docker.sock >/var/log/magnetar-dockerd.log 2>&1 < /dev/null &
  wait_for 60 dockerd "${ping[@]}"
}

ensure_postgres() {
  need_pkgs postgresql
  local ver; ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q .; then as_root pg_createcluster "$ver" main >&2; fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    log "starting postgresql $ver"
    as_root pg_ctlcluster "$ver" main start >&2 || true
    wait_for 30 postgresql pg_isready -h 127.0.0.1 -p 5432 -q
  fi
  # A password login for tests: role magnetar / magnetar, database magnetar_test.
  as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='magnetar'\"" | grep -q 1 ||
    as_root su postgres -c "psql -qc \"CREATE ROLE magnetar LOGIN SUPERUSER PASSWORD 'magnetar'\"" >&2
  as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='magnetar_test'\"" | grep -q 1 ||
    as_root su postgres -c "createdb -O magnetar magnetar_test" >&2
}

# python3-magnum (library only, no services; brings python3-oslo.policy): the policy tests compare Magnetar's default
# rules with Magnum 15's registered ones and its rule evaluation with oslo.policy's.
ensure_clients() { need_pkgs python3-magnumclient python3-openstackclient python3-magnum; }

# RabbitMQ for notifications, on loopback only (AMQP 5672, epmd and distribution too), started without systemd.
# MAGNETAR_RABBITMQ_NODE / MAGNETAR_RABBITMQ_PORT name another node and port (to try this function on a spare node).
rabbit_node=${MAGNETAR_RABBITMQ_NODE:-rabbit@localhost}
amqp_port=${MAGNETAR_RABBITMQ_PORT:-5672}
ensure_rabbitmq() {
  # The package's postinst would start a broker of its own (all interfaces, another node name) through invoke-rc.d:
  # a policy-rc.d that denies it is put in place for the install when the machine has none.
  if ! dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null | grep -q 'install ok installed'; then
    local guard=0 rc=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null && as_root chmod 755 /usr/sbin/policy-rc.d && guard=1
    fi
    need_pkgs rabbitmq-server || rc=$?
    if [ $guard = 1 ]; then as_root rm -f /usr/sbin/policy-rc.d; fi
    [ $rc = 0 ] || return $rc
  fi
  local loopback='-kernel inet_dist_use_interface {127,0,0,1}'
  local env=(env RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$amqp_port"
    RABBITMQ_DIST_PORT=$((amqp_port + 20000)) ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_NODENAME="$rabbit_node"
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$loopback" RABBITMQ_CTL_ERL_ARGS="$loopback" HOME=/var/lib/rabbitmq)
  local ctl=(as_root "${env[@]}" rabbitmqctl -n "$rabbit_node")
  node_down() { ! "${ctl[@]}" -q ping >/dev/null 2>&1; }
  if ! node_down; then
    if ! "${ctl[@]}" -q -t 5 await_startup >/dev/null 2>&1; then
      log "starting the rabbit application"   # the node runs but its application was stopped (stop_app) or is booting
      "${ctl[@]}" -q start_app >&2 || true
      wait_for 90 rabbitmq "${ctl[@]}" -q -t 5 await_startup || true
    fi
    amqp_answers && return 0
    # A running node is trusted only when AMQP answers where Magnetar connects (notify.transport_url's default host
    # and port): one started with another address or port, or whose listener is gone, is restarted on loopback.
    log "$rabbit_node runs but AMQP does not answer on 127.0.0.1:$amqp_port: restarting it on loopback"
    "${ctl[@]}" -q stop >&2 || true
    wait_for 60 "$rabbit_node to stop" node_down
  fi
  log "starting rabbitmq-server"
  as_root "${env[@]}" setsid rabbitmq-server -detached >/var/log/magnetar-rabbitmq.log 2>&1 < /dev/null || true
  wait_for 90 rabbitmq "${ctl[@]}" -q -t 5 await_startup
  if ! wait_for 30 "AMQP on 127.0.0.1:$amqp_port" amqp_answers; then
    log "$rabbit_node runs but AMQP does not answer on 127.0.0.1:$amqp_port (another process on the port? ss -ltnp 'sport = :$amqp_port'; log: /var/log/magnetar-rabbitmq.log)"
    return 1
  fi
}

# True when an AMQP server answers on 127.0.0.1:$amqp_port: after the protocol header it sends Connection.Start, a method
# frame (type 1). A port that merely accepts connections (another program) does not pass.
amqp_answers() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "AMQP\000\000\011\001" >&3 &&
    [ "$(head -c 1 <&3 | od -An -tx1 | tr -d " ")" = 01 ]' _ "$amqp_port" 2>/dev/null
}

# schemathesis (PyPI, pinned) in a venv of its own under the cache dir, outside the repository: the API fuzz test
# (test/integration/api/schemathesis.test.ts) runs $MAGNETAR_SCHEMATHESIS_VENV/bin/schemathesis.
SCHEMATHESIS_VERSION=4.32.5
ensure_schemathesis() {
  local venv=${MAGNETAR_SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/magnetar/schemathesis-venv}
  if [ -x "$venv/bin/schemathesis" ] &&
    [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" = "$SCHEMATHESIS_VERSION" ]; then
    return 0
  fi
  need_pkgs python3 python3-venv
  log "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  /usr/bin/python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
}

for w in "${want[@]}"; do
  case $w in
    docker) ensure_docker ;;
    postgres) ensure_postgres ;;
    clients) ensure_clients ;;
    rabbitmq) ensure_rabbitmq ;;
    schemathesis) ensure_schemathesis ;;
    *) log "unknown component $w"; exit 2 ;;
  esac
done
