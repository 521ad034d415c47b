# shellcheck shell=bash
# The test cloud beside Keystone and Glance (sourced by scripts/ensure-system.sh): Placement, Nova with the fake virt
# driver, Neutron without agents, Cinder with the fake volume driver, Octavia (amphora provider, noop amphora driver,
# real Nova and Neutron drivers). Debian bookworm's Zed packages; databases in a MariaDB on 127.0.0.1:3306; RPC over
# the RabbitMQ of `ensure-system.sh rabbitmq` (vhost openstack); every API on 127.0.0.1; no systemd: daemons are
# started detached with PID files in $OS_STATE/run and stdout in $OS_STATE/log-NAME.out, their own logs in
# /var/log/<service>. Each configuration file is written whole (cloud_conf) and a daemon restarts when its
# configuration changed. Settings and fixes: docs/openstack-test-cloud.md.

PLACEMENT_URL=http://127.0.0.1:8778
COMPUTE_URL=http://127.0.0.1:8774/v2.1
NETWORK_URL=http://127.0.0.1:9696
VOLUME_URL='http://127.0.0.1:8776/v3/%(project_id)s'
LB_URL=http://127.0.0.1:9876
CLOUD_HOST=magnetar-cloud

# The password of the cloud's service users, database users and RabbitMQ user (generated once into accounts.env).
cloud_password() {
  os_accounts
  if ! as_root grep -q '^CLOUD_PASSWORD=' "$OS_STATE/accounts.env"; then
    echo "CLOUD_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" | as_root tee -a "$OS_STATE/accounts.env" >/dev/null
  fi
  os_var CLOUD_PASSWORD
}

# cloud_conf path owner-group: writes stdin to path (mode 640) when it differs; returns 0 when it changed.
cloud_conf() {
  local tmp; tmp=$(mktemp)
  cat >"$tmp"
  if as_root cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 1; fi
  as_root install -D -m 640 -o root -g "$2" "$tmp" "$1"
  rm -f "$tmp"
  return 0
}

# cloud_uwsgi name debian-ini processes [threads]: Debian's uwsgi ini for an API, without AppArmor, with Content-Length
# kept, `Connection: close`, N processes x threads (4), into $OS_STATE/name-uwsgi.ini.
cloud_uwsgi() {
  { sed -e 's/^plugins = .*/plugins = python3/' -e '/^apparmor-profile/d' -e '/^rem-header = Content-Length/d' \
      -e '/^add-header = Connection: close/d' -e '/^http-socket/d' -e "s/^processes = .*/processes = $3/" \
      -e "s/^threads = .*/threads = ${4:-4}/" "$2"; echo 'add-header = Connection: close'; } |
    as_root tee "$OS_STATE/$1-uwsgi.ini" >/dev/null
}

cloud_pid_alive() { as_root test -s "$OS_STATE/run/$1.pid" && as_root kill -0 "$(as_root cat "$OS_STATE/run/$1.pid")" 2>/dev/null; }

# cloud_stop name: stops the daemon of that PID file (TERM, then KILL after 30 s).
cloud_stop() {
  cloud_pid_alive "$1" || return 0
  local pid; pid=$(as_root cat "$OS_STATE/run/$1.pid")
  log "stopping $1"
  as_root kill "$pid" 2>/dev/null || true
  wait_for 30 "$1 to stop" bash -c "! kill -0 $pid 2>/dev/null" || as_root kill -9 "$pid" 2>/dev/null || true
}

# cloud_daemon name user command...: runs command as user, detached, PID file $OS_STATE/run/name.pid (no-op if alive).
cloud_daemon() {
  local name=$1 user=$2; shift 2
  cloud_pid_alive "$name" && return 0
  log "starting $name"
  as_root setsid nohup bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$OS_STATE/run/$name.pid" \
    setpriv --reuid="$user" --regid="$user" --init-groups "$@" >"$OS_STATE/log-$name.out" 2>&1 </dev/null &
}

# cloud_api name user port ini: an API under uwsgi (the ini drops privileges itself).
cloud_api() {
  cloud_pid_alive "$1" && return 0
  log "starting $1"
  as_root setsid nohup bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$OS_STATE/run/$1.pid" \
    uwsgi --http-socket "127.0.0.1:$3" --ini "$4" >"$OS_STATE/log-$1.out" 2>&1 </dev/null &
}

answers() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" | grep -qE '^[2-4][0-9][0-9]$'; }

# --- MariaDB and RabbitMQ for the cloud ----------------------------------------------------------------------------
mariadb_answers() { as_root mariadb-admin --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1; }

ensure_mariadb() {
  need_pkgs_no_start mariadb-server python3-pymysql
  if ! mariadb_answers; then
    as_root install -d -o mysql -g mysql /run/mysqld
    as_root test -d /var/lib/mysql/mysql || as_root mariadb-install-db --user=mysql --datadir=/var/lib/mysql >&2
    log "starting mariadb"
    as_root setsid nohup mariadbd --user=mysql --bind-address=127.0.0.1 --port=3306 \
      --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid --max-connections=500 \
      >"$OS_STATE/log-mariadb.out" 2>&1 </dev/null &
    wait_for 60 mariadb mariadb_answers
  fi
}

# cloud_db name...: databases and their user (same name as the first database), password CLOUD_PASSWORD.
cloud_db() {
  local user=$1 pw sql=""; pw=$(cloud_password)
  for d in "$@"; do sql+="CREATE DATABASE IF NOT EXISTS \`$d\`; GRANT ALL ON \`$d\`.* TO '$user'@'127.0.0.1';"; done
  as_root mariadb --socket=/run/mysqld/mysqld.sock -e "CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$pw';
    ALTER USER '$user'@'127.0.0.1' IDENTIFIED BY '$pw'; $sql"
}
db_url() { echo "mysql+pymysql://$1:$(cloud_password)@127.0.0.1:3306/$2?charset=utf8"; }

cloud_rabbit() {
  local env=(env ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_NODENAME="$rabbit_node" HOME=/var/lib/rabbitmq
    RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}')
  local ctl=(as_root "${env[@]}" rabbitmqctl -q -n "$rabbit_node") pw; pw=$(cloud_password)
  if ! "${ctl[@]}" list_vhosts 2>/dev/null | grep -qx openstack; then "${ctl[@]}" add_vhost openstack >&2; fi
  if ! "${ctl[@]}" list_users 2>/dev/null | grep -q '^openstack\b'; then "${ctl[@]}" add_user openstack "$pw" >&2
  elif ! "${ctl[@]}" authenticate_user openstack "$pw" >/dev/null 2>&1; then "${ctl[@]}" change_password openstack "$pw" >&2; fi
  "${ctl[@]}" set_permissions -p openstack openstack '.*' '.*' '.*' >&2
}
transport_url() { echo "rabbit://openstack:$(cloud_password)@127.0.0.1:$amqp_port/openstack"; }

# [keystone_authtoken] and other password-auth sections: auth_section name user
auth_section() {
  cat <<EOT
[$1]
auth_url = $KEYSTONE_URL
auth_type = password
username = $2
password = $(cloud_password)
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = $OS_REGION
EOT
  [ "$1" = keystone_authtoken ] && echo "www_authenticate_uri = $KEYSTONE_URL" && echo "interface = public"
  echo
}

cloud_base() {   # what every component needs: Keystone (+ Glance), MariaDB, RabbitMQ
  [ "${cloud_base_done:-0}" = 1 ] && return 0
  ensure_glance
  ensure_rabbitmq
  ensure_mariadb
  cloud_rabbit
  cloud_base_done=1
}

cloud_keystone() {   # cloud_keystone component...: users and catalog entries (once per password and URL set)
  local sum; sum=$(echo "$* $(cloud_password) $PLACEMENT_URL $COMPUTE_URL $NETWORK_URL $VOLUME_URL $LB_URL" | md5sum | cut -c1-32)
  cloud_stamp "keystone.$1" "$sum" && return 0
  as_root env $(as_root cat "$OS_STATE/accounts.env") PLACEMENT_URL=$PLACEMENT_URL COMPUTE_URL=$COMPUTE_URL \
    NETWORK_URL=$NETWORK_URL "VOLUME_URL=$VOLUME_URL" LB_URL=$LB_URL REGION=$OS_REGION \
    /usr/bin/python3 "$SCRIPTS_DIR/openstack/cloud.py" keystone "$@" >&2
  cloud_stamp_set "keystone.$1" "$sum"
}
cloud_py() { as_root env $(as_root cat "$OS_STATE/accounts.env") REGION=$OS_REGION /usr/bin/python3 "$SCRIPTS_DIR/openstack/cloud.py" "$@"; }

# cloud_stamp name value: true when the stamp file already holds value (a one-time step was done for it).
cloud_stamp() { [ "$(as_root cat "$OS_STATE/$1" 2>/dev/null)" = "$2" ]; }
cloud_stamp_set() { echo "$2" | as_root tee "$OS_STATE/$1" >/dev/null; }

# --- Placement -----------------------------------------------------------------------------------------------------
ensure_placement() {
  cloud_base
  need_pkgs_no_start placement-api
  cloud_db placement
  { echo "[DEFAULT]"; echo
    echo "[api]"; echo "auth_strategy = keystone"; echo
    auth_section keystone_authtoken placement
    echo "[placement_database]"; echo "connection = $(db_url placement placement)"
  } | cloud_conf /etc/placement/placement.conf placement && cloud_stop placement-api
  if ! cloud_stamp placement.synced "$(dpkg-query -W -f='${Version}' placement-api)"; then
    as_root su -s /bin/sh placement -c "placement-manage db sync" >&2
    cloud_stamp_set placement.synced "$(dpkg-query -W -f='${Version}' placement-api)"
  fi
  cloud_keystone placement
  cloud_uwsgi placement-api /etc/placement/placement-api-uwsgi.ini 2
  cloud_api placement-api placement 8778 "$OS_STATE/placement-api-uwsgi.ini"
  wait_for 90 placement answers "$PLACEMENT_URL" || { log "see /var/log/placement"; return 1; }
}

# --- Nova: api (uwsgi, 2 processes), conductor, scheduler, compute with fake.FakeDriver (no libvirt) -------------
# nova-compute runs from python3-nova (the nova-compute package would bring libvirt and QEMU, never used here).
nova_conf() {
  cat <<EOT
[DEFAULT]
host = $CLOUD_HOST
my_ip = 127.0.0.1
state_path = /var/lib/nova
log_dir = /var/log/nova
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_workers = 1
compute_driver = fake.FakeDriver
transport_url = $(transport_url)
use_neutron = true
allow_resize_to_same_host = true

[api]
auth_strategy = keystone

[api_database]
connection = $(db_url nova nova_api)

[database]
connection = $(db_url nova nova)

[conductor]
workers = 1

[scheduler]
workers = 1
discover_hosts_in_cells_interval = 20

[oslo_concurrency]
lock_path = /var/lib/nova/tmp

[vnc]
enabled = false

[glance]
api_servers = $GLANCE_URL

[cinder]
catalog_info = volumev3::publicURL
os_region_name = $OS_REGION

$(auth_section keystone_authtoken nova)
$(auth_section placement placement)
$(auth_section neutron neutron)
$(auth_section service_user nova)
send_service_user_token = true
EOT
}

nova_manage() { as_root su -s /bin/sh nova -c "nova-manage --config-file /etc/nova/nova.conf $*"; }

ensure_nova() {
  ensure_placement
  need_pkgs_no_start nova-api nova-conductor nova-scheduler nova-common
  cloud_db nova nova_api nova nova_cell0
  if nova_conf | cloud_conf /etc/nova/nova.conf nova; then
    for d in nova-compute nova-scheduler nova-conductor nova-api; do cloud_stop $d; done
  fi
  if ! cloud_stamp nova.synced "$(dpkg-query -W -f='${Version}' nova-common)"; then
    log "nova: databases and cells"
    nova_manage api_db sync >&2
    nova_manage cell_v2 list_cells 2>/dev/null | grep -q ' cell0 ' || nova_manage cell_v2 map_cell0 >&2
    nova_manage cell_v2 list_cells 2>/dev/null | grep -q ' cell1 ' || nova_manage cell_v2 create_cell --name cell1 >&2
    nova_manage db sync >&2
    cloud_stamp_set nova.synced "$(dpkg-query -W -f='${Version}' nova-common)"
  fi
  cloud_keystone nova
  cloud_uwsgi nova-api /etc/nova/nova-api-uwsgi.ini 2 1
  cloud_api nova-api nova 8774 "$OS_STATE/nova-api-uwsgi.ini"
  cloud_daemon nova-conductor nova /usr/bin/nova-conductor --config-file /etc/nova/nova.conf
  cloud_daemon nova-scheduler nova /usr/bin/nova-scheduler --config-file /etc/nova/nova.conf
  cloud_daemon nova-compute nova /usr/bin/python3 -c 'import sys; sys.argv[0] = "nova-compute"
from nova.cmd.compute import main; sys.exit(main())' --config-file /etc/nova/nova.conf \
    --log-file /var/log/nova/nova-compute.log
  wait_for 120 nova-api answers "$COMPUTE_URL" || { log "see /var/log/nova"; return 1; }
  # The compute host in cell1 (once): the scheduler also discovers hosts every 20 s.
  if ! cloud_stamp nova.host "$CLOUD_HOST"; then
    wait_for 120 "nova-compute to register" bash -c "mariadb --socket=/run/mysqld/mysqld.sock -N nova -e \
      \"SELECT 1 FROM services WHERE host='$CLOUD_HOST' AND \\\`binary\\\`='nova-compute' AND deleted=0\" | grep -q 1"
    nova_manage cell_v2 discover_hosts >&2
    cloud_stamp_set nova.host "$CLOUD_HOST"
  fi
  if ! cloud_stamp nova.flavors 1; then cloud_py flavors image >&2 && cloud_stamp_set nova.flavors 1; fi
}

# --- Neutron: neutron-server (eventlet, 2 API workers, 1 RPC worker), ML2 with the minicloud driver, no agents ------
# minicloud_ml2 (scripts/openstack/minicloud_ml2.py) binds every port, so Nova boots on any network without an agent.
ensure_minicloud_ml2() {
  local ML2_PKG; ML2_PKG=$(/usr/bin/python3 -c 'import sys; print(f"/usr/local/lib/python3.{sys.version_info[1]}/dist-packages")')
  local src="$SCRIPTS_DIR/openstack/minicloud_ml2.py" dist="$ML2_PKG/minicloud_ml2-1.0.dist-info"
  as_root cmp -s "$src" "$ML2_PKG/minicloud_ml2.py" && as_root test -s "$dist/entry_points.txt" && return 0
  as_root install -D -m 644 "$src" "$ML2_PKG/minicloud_ml2.py"
  as_root mkdir -p "$dist"
  printf 'Metadata-Version: 2.1\nName: minicloud-ml2\nVersion: 1.0\n' | as_root tee "$dist/METADATA" >/dev/null
  printf '[neutron.ml2.mechanism_drivers]\nminicloud = minicloud_ml2:MiniCloudMechanismDriver\n' |
    as_root tee "$dist/entry_points.txt" >/dev/null
  cloud_stop neutron-server
}

neutron_conf() {
  cat <<EOT
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9696
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
dhcp_agent_notification = false
allow_overlapping_ips = true
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true
transport_url = $(transport_url)
api_workers = 2
rpc_workers = 1
rpc_state_report_workers = 0
log_dir = /var/log/neutron
state_path = /var/lib/neutron

[database]
connection = $(db_url neutron neutron)

[oslo_concurrency]
lock_path = /var/lib/neutron/lock

$(auth_section keystone_authtoken neutron)
$(auth_section nova nova)
EOT
}

ml2_conf() {
  cat <<EOT
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
mechanism_drivers = minicloud
extension_drivers = port_security

[ml2_type_flat]
flat_networks = external

[ml2_type_vxlan]
vni_ranges = 1:10000
EOT
}

ensure_neutron() {
  ensure_nova   # port status changes are reported to Nova; servers need ports
  need_pkgs_no_start neutron-server
  ensure_minicloud_ml2
  cloud_db neutron
  local changed=0
  neutron_conf | cloud_conf /etc/neutron/neutron.conf neutron && changed=1
  ml2_conf | cloud_conf /etc/neutron/plugins/ml2/ml2_conf.ini neutron && changed=1
  [ $changed = 1 ] && cloud_stop neutron-server
  if ! cloud_stamp neutron.synced "$(dpkg-query -W -f='${Version}' neutron-common)"; then
    log "neutron: database schema"
    as_root su -s /bin/sh neutron -c "neutron-db-manage --config-file /etc/neutron/neutron.conf \
      --config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade heads" >&2
    cloud_stamp_set neutron.synced "$(dpkg-query -W -f='${Version}' neutron-common)"
  fi
  cloud_keystone neutron
  cloud_daemon neutron-server neutron /usr/bin/neutron-server --config-file /etc/neutron/neutron.conf \
    --config-file /etc/neutron/plugins/ml2/ml2_conf.ini
  wait_for 120 neutron-server answers "$NETWORK_URL" || { log "see /var/log/neutron"; return 1; }
  if ! cloud_stamp neutron.public 1; then cloud_py public >&2 && cloud_stamp_set neutron.public 1; fi
}

# --- Cinder: api (uwsgi 2 x 4), scheduler, volume with the fake driver (no LVM; volumes hold no data) ------------
# cinder-volume runs from python3-cinder (the cinder-volume package would bring lvm2, tgt and open-iscsi).
cinder_conf() {
  cat <<EOT
[DEFAULT]
host = $CLOUD_HOST
my_ip = 127.0.0.1
auth_strategy = keystone
transport_url = $(transport_url)
enabled_backends = fake
glance_api_servers = $GLANCE_URL
state_path = /var/lib/cinder
log_dir = /var/log/cinder
osapi_volume_listen = 127.0.0.1
osapi_volume_workers = 1

[database]
connection = $(db_url cinder cinder)

[fake]
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake

[oslo_concurrency]
lock_path = /var/lib/cinder/tmp

$(auth_section keystone_authtoken cinder)
service_token_roles = service
service_token_roles_required = true

$(auth_section nova nova)
EOT
}

ensure_cinder() {
  ensure_nova
  need_pkgs_no_start cinder-api cinder-scheduler cinder-common
  cloud_db cinder
  if cinder_conf | cloud_conf /etc/cinder/cinder.conf cinder; then
    for d in cinder-volume cinder-scheduler cinder-api; do cloud_stop $d; done
  fi
  if ! cloud_stamp cinder.synced "$(dpkg-query -W -f='${Version}' cinder-common)"; then
    log "cinder: database schema"
    as_root su -s /bin/sh cinder -c "cinder-manage --config-file /etc/cinder/cinder.conf db sync" >&2
    cloud_stamp_set cinder.synced "$(dpkg-query -W -f='${Version}' cinder-common)"
  fi
  cloud_keystone cinder
  cloud_uwsgi cinder-api /etc/cinder/cinder-api-uwsgi.ini 2
  cloud_api cinder-api cinder 8776 "$OS_STATE/cinder-api-uwsgi.ini"
  cloud_daemon cinder-scheduler cinder /usr/bin/cinder-scheduler --config-file /etc/cinder/cinder.conf
  cloud_daemon cinder-volume cinder /usr/bin/python3 -c 'import sys; sys.argv[0] = "cinder-volume"
from cinder.cmd.volume import main; sys.exit(main())' --config-file /etc/cinder/cinder.conf \
    --log-file /var/log/cinder/cinder-volume.log
  wait_for 120 cinder-api answers http://127.0.0.1:8776/ || { log "see /var/log/cinder"; return 1; }
  if ! cloud_stamp cinder.quotas 1; then cloud_py volume-quotas >&2 && cloud_stamp_set cinder.quotas 1; fi
}

# --- Octavia: api (uwsgi 1 x 8) and worker; amphora provider with the noop amphora driver and the real Nova and
# allowed-address-pairs drivers: each load balancer gets a (fake) amphora server on lb-mgmt-net and a real Neutron
# VIP port, so floating IPs can point at it. No health manager, no housekeeping.
octavia_conf() {
  cat <<EOT
[DEFAULT]
transport_url = $(transport_url)
log_dir = /var/log/octavia

[api_settings]
bind_host = 127.0.0.1
bind_port = 9876
auth_strategy = keystone
enabled_provider_drivers = amphora:The Octavia Amphora driver.
default_provider_driver = amphora

[database]
connection = $(db_url octavia octavia)

[controller_worker]
amphora_driver = amphora_noop_driver
compute_driver = compute_nova_driver
network_driver = allowed_address_pairs_driver
loadbalancer_topology = SINGLE
amp_image_tag = amphora
amp_image_owner_id = $2
amp_flavor_id = $3
amp_boot_network_list = $4
amp_secgroup_list = $5
client_ca = /etc/octavia/certs/ca.pem
workers = 1

[haproxy_amphora]
server_ca = /etc/octavia/certs/ca.pem
client_cert = /etc/octavia/certs/ca.pem

[task_flow]
jobboard_enabled = false

[certificates]
cert_generator = local_cert_generator
ca_certificate = /etc/octavia/certs/ca.pem
ca_private_key = /etc/octavia/certs/ca.key

[oslo_messaging]
topic = octavia_prov

[oslo_concurrency]
lock_path = /var/lib/octavia/tmp

$(auth_section keystone_authtoken octavia)
$(auth_section service_auth octavia)
EOT
}

ensure_octavia() {
  ensure_neutron
  need_pkgs_no_start octavia-api octavia-worker
  cloud_db octavia
  if ! as_root test -s /etc/octavia/certs/ca.key; then
    as_root install -d -o octavia -g octavia -m 700 /etc/octavia/certs
    as_root openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=magnetar-octavia-ca \
      -keyout /etc/octavia/certs/ca.key -out /etc/octavia/certs/ca.pem 2>/dev/null
    as_root chown octavia:octavia /etc/octavia/certs/ca.key /etc/octavia/certs/ca.pem
  fi
  cloud_keystone octavia
  # image amphora-fake, flavor amphora, lb-mgmt-net and lb-mgmt-sg (once; their ids go into the configuration)
  as_root test -s "$OS_STATE/octavia.mgmt" || cloud_py octavia-mgmt | as_root tee "$OS_STATE/octavia.mgmt" >/dev/null
  local mg; mg=$(as_root cat "$OS_STATE/octavia.mgmt")
  v() { sed -n "s/^$1=//p" <<<"$mg"; }
  if octavia_conf x "$(v SERVICE_PROJECT)" "$(v AMP_FLAVOR)" "$(v AMP_NET)" "$(v AMP_SG)" |
    cloud_conf /etc/octavia/octavia.conf octavia; then
    cloud_stop octavia-worker; cloud_stop octavia-api   # the API process loads the network driver too
  fi
  if ! cloud_stamp octavia.synced "$(dpkg-query -W -f='${Version}' octavia-common)"; then
    log "octavia: database schema"
    as_root su -s /bin/sh octavia -c "octavia-db-manage --config-file /etc/octavia/octavia.conf upgrade head" >&2
    cloud_stamp_set octavia.synced "$(dpkg-query -W -f='${Version}' octavia-common)"
  fi
  cloud_uwsgi octavia-api /etc/octavia/octavia-api-uwsgi.ini 1 8
  cloud_api octavia-api octavia 9876 "$OS_STATE/octavia-api-uwsgi.ini"
  cloud_daemon octavia-worker octavia /usr/bin/octavia-worker --config-file /etc/octavia/octavia.conf
  wait_for 120 octavia-api answers "$LB_URL" || { log "see /var/log/octavia"; return 1; }
}
