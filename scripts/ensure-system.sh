#!/usr/bin/env bash
# Installs (from Debian) and starts, on loopback, what Magnetar and its tests need.
# Idempotent: every step checks first and does nothing when already satisfied.
# Usage: scripts/ensure-system.sh [docker] [postgres] [clients] [rabbitmq] [schemathesis] [keystone] [glance]
#        [placement] [nova] [neutron] [cinder] [octavia]
#        (default: docker)
set -euo pipefail

want=("$@"); [ ${#want[@]} -eq 0 ] && want=(docker)
log() { printf '[ensure-system] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

apt_updated=0
need_pkgs() {  # need_pkgs pkg... : install the Debian packages that are missing
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated = 0 ]; then log "apt-get update"; as_root apt-get -o DPkg::Lock::Timeout=900 update -qq >&2; apt_updated=1; fi
  log "installing ${missing[*]}"
  # Another apt/dpkg run (a CI job reinstalling packages) holds the lock: wait for it rather than fail.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
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

# --- OpenStack Keystone and Glance (Debian bookworm's Zed packages), on loopback, no systemd ----------------------
# Keystone: uwsgi with 2 processes on 127.0.0.1:5000 (Debian ships 8, and an AppArmor profile this machine lacks),
# fernet tokens, SQLite database (/var/lib/keystone/keystone.sqlite: a few dozen rows, no writes when tokens are issued
# or validated, and nothing shared with the PostgreSQL that tests create and drop databases in). Glance: glance-api
# with 1 worker on 127.0.0.1:9292, file store, SQLite. Accounts (scripts/openstack/accounts.py) and generated
# passwords: $OS_STATE/accounts.env (root only). PID files in $OS_STATE/run; logs in /var/log/keystone, /var/log/glance.
OS_STATE=${MAGNETAR_OPENSTACK_STATE:-/var/lib/magnetar-openstack}
KEYSTONE_URL=http://127.0.0.1:5000/v3
GLANCE_URL=http://127.0.0.1:9292
OS_REGION=RegionOne
SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# need_pkgs for packages whose maintainer scripts would start a daemon (through invoke-rc.d): denied while installing.
need_pkgs_no_start() {
  local p missing=0
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing=1; done
  [ $missing = 0 ] && return 0
  local guard=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null && as_root chmod 755 /usr/sbin/policy-rc.d && guard=1
  fi
  need_pkgs "$@" || rc=$?
  if [ $guard = 1 ]; then as_root rm -f /usr/sbin/policy-rc.d; fi
  return $rc
}

# The accounts file: generated passwords, made once and kept (re-runs and tests read it).
os_accounts() {
  as_root mkdir -p "$OS_STATE/run" && as_root chmod 700 "$OS_STATE"
  if ! as_root test -s "$OS_STATE/accounts.env"; then
    local pw; pw() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }
    { echo "OS_AUTH_URL=$KEYSTONE_URL"; echo "OS_REGION_NAME=$OS_REGION"
      echo "ADMIN_PASSWORD=$(pw)"; echo "SERVICE_PASSWORD=$(pw)"; echo "GLANCE_PASSWORD=$(pw)"; echo "DEMO_PASSWORD=$(pw)"
    } | as_root tee "$OS_STATE/accounts.env.new" >/dev/null
    as_root chmod 600 "$OS_STATE/accounts.env.new" && as_root mv "$OS_STATE/accounts.env.new" "$OS_STATE/accounts.env"
    # Users that already exist in Keystone (the file was lost) get these new passwords on the next accounts pass.
    as_root touch "$OS_STATE/accounts.reset"
  fi
}
os_var() { as_root sed -n "s/^$1=//p" "$OS_STATE/accounts.env"; }

# start_daemon name pidfile command...: starts it detached unless its PID file names a live process.
start_daemon() {
  local name=$1 pidfile=$2; shift 2
  if as_root test -s "$pidfile" && as_root kill -0 "$(as_root cat "$pidfile")" 2>/dev/null; then return 0; fi
  log "starting $name"
  as_root setsid nohup "$@" >"$OS_STATE/log-$name.out" 2>&1 < /dev/null &
}

# stop_if_changed name file: stops the daemon (PID file $OS_STATE/run/name.pid) when `file` changed since it started.
stop_if_changed() {
  local pidfile="$OS_STATE/run/$1.pid" sum; sum=$(as_root md5sum "$2" | cut -d' ' -f1)
  if [ "$(as_root cat "$OS_STATE/$1.conf.md5" 2>/dev/null)" != "$sum" ] && as_root test -s "$pidfile"; then
    log "$1: configuration changed, restarting"
    as_root kill "$(as_root cat "$pidfile")" 2>/dev/null || true
    wait_for 30 "$1 to stop" bash -c "! kill -0 $(as_root cat "$pidfile") 2>/dev/null"
  fi
  echo "$sum" | as_root tee "$OS_STATE/$1.conf.md5" >/dev/null
}

keystone_answers() { curl -sf -m 5 "$KEYSTONE_URL" | grep -q '"id": *"v3'; }

ensure_keystone() {
  need_pkgs_no_start keystone uwsgi-plugin-python3 crudini curl
  os_accounts
  local conf=/etc/keystone/keystone.conf db=/var/lib/keystone/keystone.sqlite
  as_root crudini --set $conf database connection "sqlite:///$db"
  as_root crudini --set $conf token provider fernet
  # Debian's postinst leaves the database empty (keystone/configure_db false): schema, keys and the admin once.
  local stamp="$OS_STATE/keystone.bootstrapped" version; version=$(dpkg-query -W -f='${Version}' keystone)
  if [ "$(as_root cat "$stamp" 2>/dev/null)" != "$version" ]; then
    log "keystone: database schema, fernet and credential keys, bootstrap (admin, RegionOne endpoints)"
    as_root su -s /bin/sh keystone -c "keystone-manage db_sync" >&2
    as_root keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone >&2
    as_root keystone-manage credential_setup --keystone-user keystone --keystone-group keystone >&2
    as_root keystone-manage bootstrap --bootstrap-password "$(os_var ADMIN_PASSWORD)" \
      --bootstrap-admin-url "$KEYSTONE_URL" --bootstrap-internal-url "$KEYSTONE_URL" \
      --bootstrap-public-url "$KEYSTONE_URL" --bootstrap-region-id "$OS_REGION" >&2
    as_root chown keystone:keystone "$db"
    echo "$version" | as_root tee "$stamp" >/dev/null
  fi
  # WAL: readers (an idle pooled connection's open transaction) never block a writer; with the default rollback
  # journal a role or revocation write waits out "database is locked" and fails with a 500.
  if [ "$(as_root sqlite3 "$db" 'PRAGMA journal_mode' 2>/dev/null)" != wal ]; then
    as_root su -s /bin/sh keystone -c "sqlite3 $db 'PRAGMA journal_mode=WAL'" >/dev/null
  fi
  if ! keystone_answers; then
    # Debian's uwsgi ini without its AppArmor plugin, with 2 processes and a PID file. uwsgi's http-socket closes
    # every connection after one answer: Debian removes Content-Length so that clients read to the end and never reuse
    # it; here Content-Length stays and `Connection: close` says the same thing explicitly.
    sed -e 's/^plugins = .*/plugins = python3/' -e '/^apparmor-profile/d' \
      -e 's/^rem-header = Content-Length/add-header = Connection: close/' \
      -e 's/^processes = .*/processes = 2/' /etc/keystone/keystone-uwsgi.ini | as_root tee "$OS_STATE/keystone-uwsgi.ini" >/dev/null
    start_daemon keystone "$OS_STATE/run/keystone.pid" uwsgi --http-socket 127.0.0.1:5000 \
      --ini "$OS_STATE/keystone-uwsgi.ini" --pidfile "$OS_STATE/run/keystone.pid"
    wait_for 90 keystone keystone_answers || { log "see /var/log/keystone/keystone.log"; return 1; }
  fi
  os_ensure_accounts
}

# Users, projects, roles (and Glance's catalog entry when Glance is set up) — checked in one python3 process.
accounts_done=none   # what this run's accounts pass covered already: none, keystone, glance
os_ensure_accounts() {
  local extra=() covers=keystone
  if as_root test -e "$OS_STATE/glance.configured"; then extra=(GLANCE_URL="$GLANCE_URL" REGION="$OS_REGION"); covers=glance; fi
  if [ "$accounts_done" = glance ] || [ "$accounts_done" = "$covers" ]; then return 0; fi
  as_root test -e "$OS_STATE/accounts.reset" && extra+=(RESET_PASSWORDS=1)
  as_root env $(as_root cat "$OS_STATE/accounts.env") "${extra[@]}" /usr/bin/python3 "$SCRIPTS_DIR/openstack/accounts.py" >&2
  as_root rm -f "$OS_STATE/accounts.reset"
  accounts_done=$covers
}

glance_answers() { curl -s -m 5 "$GLANCE_URL/versions" | grep -q '"CURRENT"'; }

ensure_glance() {
  ensure_keystone
  need_pkgs_no_start glance-api crudini
  local conf=/etc/glance/glance-api.conf db=/var/lib/glance/glance.sqlite
  local set=(as_root crudini --set "$conf")
  "${set[@]}" DEFAULT bind_host 127.0.0.1
  "${set[@]}" DEFAULT bind_port 9292
  "${set[@]}" DEFAULT workers 1
  "${set[@]}" database connection "sqlite:///$db"
  "${set[@]}" paste_deploy flavor keystone
  "${set[@]}" glance_store stores file,http
  "${set[@]}" glance_store default_store file
  "${set[@]}" glance_store filesystem_store_datadir /var/lib/glance/images/
  "${set[@]}" keystone_authtoken www_authenticate_uri "$KEYSTONE_URL"
  "${set[@]}" keystone_authtoken auth_url "$KEYSTONE_URL"
  "${set[@]}" keystone_authtoken auth_type password
  "${set[@]}" keystone_authtoken username glance
  "${set[@]}" keystone_authtoken password "$(os_var GLANCE_PASSWORD)"
  "${set[@]}" keystone_authtoken project_name service
  "${set[@]}" keystone_authtoken user_domain_name Default
  "${set[@]}" keystone_authtoken project_domain_name Default
  "${set[@]}" keystone_authtoken region_name "$OS_REGION"   # Debian's file says regionOne
  "${set[@]}" keystone_authtoken interface public
  as_root chmod 640 "$conf" && as_root chown root:glance "$conf"
  local stamp="$OS_STATE/glance.configured" version; version=$(dpkg-query -W -f='${Version}' glance-api)
  if [ "$(as_root cat "$stamp" 2>/dev/null)" != "$version" ]; then
    log "glance: database schema"
    as_root su -s /bin/sh glance -c "glance-manage db_sync" >&2
    echo "$version" | as_root tee "$stamp" >/dev/null
  fi
  if [ "$(as_root sqlite3 "$db" 'PRAGMA journal_mode' 2>/dev/null)" != wal ]; then
    as_root su -s /bin/sh glance -c "sqlite3 $db 'PRAGMA journal_mode=WAL'" >/dev/null
  fi
  os_ensure_accounts   # the glance user and the image service's endpoints
  stop_if_changed glance "$conf"
  if ! glance_answers; then
    start_daemon glance "$OS_STATE/run/glance.pid" \
      bash -c "echo \$\$ > $OS_STATE/run/glance.pid; exec setpriv --reuid=glance --regid=glance --init-groups glance-api --config-file $conf"
    wait_for 90 glance glance_answers || { log "see /var/log/glance/glance-api.log"; return 1; }
  fi
}

# Placement, Nova (fake driver), Neutron (no agents), Cinder (fake driver), Octavia: scripts/openstack/cloud.sh.
# shellcheck source=openstack/cloud.sh
. "$SCRIPTS_DIR/openstack/cloud.sh"

for w in "${want[@]}"; do
  case $w in
    docker) ensure_docker ;;
    postgres) ensure_postgres ;;
    clients) ensure_clients ;;
    rabbitmq) ensure_rabbitmq ;;
    schemathesis) ensure_schemathesis ;;
    keystone) ensure_keystone ;;
    glance) ensure_glance ;;
    placement) ensure_placement ;;
    nova) ensure_nova ;;
    neutron) ensure_neutron ;;
    cinder) ensure_cinder ;;
    octavia) ensure_octavia ;;
    *) log "unknown component $w"; exit 2 ;;
  esac
done
