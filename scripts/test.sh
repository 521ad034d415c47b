#!/usr/bin/env bash
# The whole test suite: installs and starts what the tests need (idempotently), then type-checks, lints and runs
# every unit and integration test against the real Docker engine, PostgreSQL and clients.
set -euo pipefail
cd "$(dirname "$0")/.."

# the locked dependencies, when node_modules is missing or older than the lock (never through a symlinked one)
if [ ! -L node_modules ] && { [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "[test] installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
export PATH="$PWD/node_modules/.bin:$PATH"

# keystone: Keystone on 127.0.0.1:5000 with the accounts of the keystone-mode tests (test/integration/keystone);
# glance: Glance on 127.0.0.1:9292 in its catalog (templates naming Glance images, clusters acting through trusts)
# placement nova neutron cinder octavia: the test cloud of test/integration/openstack (Nova's fake driver, Neutron
# without agents, Cinder's fake driver, Octavia with the noop amphora driver; databases in MariaDB): about 2 min of
# packages and 3-4 min of set-up on a cold machine, seconds afterwards. MAGNETAR_TEST_CLOUD=0 leaves it out (the
# OpenStack client tests then skip).
cloud=(placement nova neutron cinder octavia)
if [ "${MAGNETAR_TEST_CLOUD:-1}" = 0 ]; then cloud=(); fi
bash scripts/ensure-system.sh docker postgres clients rabbitmq schemathesis keystone glance "${cloud[@]}"
bin/magnetar image build --if-missing >&2
# The Kubernetes node image of the default kube_tag (cached by its inputs under /var/cache/magnetar: the first build on
# a machine compiles Kubernetes, etcd, flannel, CoreDNS and metrics-server from the Go module proxy, ~30-50 min on 2
# cores; later runs take under a second).
bin/magnetar image build --coe kubernetes --if-missing >&2
# The previous minor's image, which the rolling-upgrade test starts from (v1.36.3 → v1.37.2). It shares the Debian
# base, the add-ons and part of the Go build cache with the default one: ~10 min more on a cold machine, under a
# second when cached.
bin/magnetar image build --coe kubernetes --kube-tag v1.36.3 --if-missing >&2

echo "[test] typecheck and lint" >&2
tsc -p tsconfig.json
eslint --max-warnings 0 .
prettier --check src test bench eslint.config.js >/dev/null

echo "[test] unit and integration tests" >&2
exec node --test --test-concurrency=2 --test-timeout=600000 'test/**/*.test.ts'
