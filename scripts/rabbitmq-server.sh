#!/usr/bin/env bash
# Runs one RabbitMQ broker (Debian's rabbitmq-server, 3.10) as a plain process with all its state in one folder, and
# runs rabbitmqctl against it. The one place that knows how: test-servers.sh, the tests and AppHost all come here.
#   scripts/rabbitmq-server.sh run DIR PORT [USER [PASSWORD]]   # in the foreground; killing its pid stops the broker
#   scripts/rabbitmq-server.sh ctl DIR ARGS...                  # rabbitmqctl ARGS... against the broker of DIR
# AMQP listens on 127.0.0.1:PORT only, vhost "/", user USER (guest/guest without one: RabbitMQ lets guest in from
# loopback only). A USER without PASSWORD takes it from $CARTO_BROKER_PASSWORD, out of sight of ps (AppHost does
# that). USER and PASSWORD are made on the first start of an empty DIR only: the broker keeps its users.
# Every instance has its own node name (from DIR), its own Erlang distribution port and its own epmd, which dies with
# the broker: instances run side by side, and a stopped one leaves nothing behind.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rabbit_bin=/usr/lib/rabbitmq/bin
# The Debian package's system user: /usr/sbin/rabbitmq-server runs the broker as it, and so do we when we are root.
system_user=rabbitmq

usage() {
  echo "usage: $0 run DIR PORT [USER [PASSWORD]] | ctl DIR ARGS..." >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
command=$1
dir=$(realpath -m "$2")
shift 2

# Unique per folder, and the same at every start of it: the broker's database is kept under its node name.
node="carto-$(printf '%s' "$dir" | sha256sum | cut -c1-12)@localhost"

# Runs a command as the broker's user: as root, the rabbitmq system user, which owns DIR.
as_broker_user() {
  if [[ $(id -u) -eq 0 ]]; then
    setpriv --reuid="$system_user" --regid="$system_user" --init-groups "$@"
  else
    "$@"
  fi
}

# What both the broker and rabbitmqctl read; nothing of /etc/rabbitmq or /var/lib/rabbitmq, so instances stay apart.
instance_environment() {
  # The Erlang cookie (which rabbitmqctl must present) is $HOME/.erlang.cookie: one per instance.
  export HOME=$dir
  export RABBITMQ_CONF_ENV_FILE=/dev/null
  export RABBITMQ_NODENAME=$node RABBITMQ_USE_LONGNAME=false
  export RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config
  export RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log RABBITMQ_PID_FILE=$dir/rabbitmq.pid
  export RABBITMQ_FEATURE_FLAGS_FILE=$dir/feature_flags RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
  # The instance's own epmd, on loopback (run writes its port).
  export ERL_EPMD_ADDRESS=127.0.0.1
  if [[ -f $dir/epmd-port ]]; then
    ERL_EPMD_PORT=$(cat "$dir/epmd-port")
    export ERL_EPMD_PORT
  fi
}

run() {
  [[ $# -ge 1 && $# -le 3 ]] || usage
  local port=$1 user=${2:-guest} password
  if [[ $# -eq 2 ]]; then
    password=${CARTO_BROKER_PASSWORD:?a USER without PASSWORD needs CARTO_BROKER_PASSWORD}
  else
    password=${3:-guest}
  fi
  # Nothing below needs it in its environment (the broker reads it from rabbitmq.conf).
  unset CARTO_BROKER_PASSWORD
  [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || { echo "error: PORT is a TCP port number" >&2; exit 2; }
  # URI-unreserved characters only: they need no quoting in rabbitmq.conf nor in amqp://USER:PASSWORD@… URIs.
  [[ $user =~ ^[A-Za-z0-9._~-]+$ && $password =~ ^[A-Za-z0-9._~-]+$ ]] \
    || { echo "error: USER and PASSWORD are letters, digits and . _ ~ -" >&2; exit 2; }

  # shellcheck source=lib.sh
  source "$root/scripts/lib.sh"
  local epmd_port dist_port
  epmd_port=$(free_port)
  while dist_port=$(free_port); [[ $dist_port == "$epmd_port" ]]; do :; done

  mkdir -p "$dir/mnesia" "$dir/log"
  echo "$epmd_port" > "$dir/epmd-port"
  # No plugin: nothing of the platform uses the management UI, and every plugin costs memory and start time.
  echo '[].' > "$dir/enabled_plugins"
  (umask 077 && cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$port
# A worker holds a message while a long import runs: 2 h before the broker takes it back (its default is 30 min).
consumer_timeout = 7200000
default_vhost = /
default_user = $user
default_pass = $password
# Whoever runs the broker reads its console (AppHost's log of the resource); the file in log/ has everything.
log.console = true
log.console.level = warning
log.console.use_colors = off
log.file.level = info
CONF
  )
  if [[ $(id -u) -eq 0 ]]; then
    chown -R "$system_user:$system_user" "$dir"
    chmod 700 "$dir"
  fi
  instance_environment
  export RABBITMQ_DIST_PORT=$dist_port
  # The Erlang distribution (rabbitmqctl's way in) on loopback only. Fewer process slots than RabbitMQ's 1M, whose
  # table is allocated up front: 64k still carry thousands of connections. (It idles at ~135 MB RSS all the same; the
  # other memory knobs tried, allocator carrier sizes and fewer dirty schedulers, saved 1-4%.)
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_MAX_NUMBER_OF_PROCESSES=65536
  # The broker's own launcher execs the Erlang VM instead of staying as a parent that traps signals (as under
  # systemd): this process becomes the broker, and SIGTERM to it is a clean stop.
  export RUNNING_UNDER_SYSTEMD=true

  # epmd started here rather than by the VM: the VM would start a daemon that outlives it. This one gets SIGKILL when
  # its parent, this process (the broker once exec'd), ends however it ends.
  # A simple command, so that the forked shell execs it: epmd's parent must be this very process.
  local as_user=()
  [[ $(id -u) -ne 0 ]] || as_user=(setpriv --reuid="$system_user" --regid="$system_user" --init-groups)
  "${as_user[@]}" setpriv --pdeathsig KILL /usr/bin/epmd -port "$epmd_port" -address 127.0.0.1 &
  local i
  for ((i = 0; ; i++)); do
    /usr/bin/epmd -port "$epmd_port" -names >/dev/null 2>&1 && break
    ((i < 50)) || { echo "error: epmd did not start on port $epmd_port" >&2; exit 1; }
    sleep 0.1
  done
  cd "$dir"
  export ERL_CRASH_DUMP=$dir/log/erl_crash.dump
  exec "${as_user[@]}" "$rabbit_bin/rabbitmq-server"
}

ctl() {
  [[ -f $dir/epmd-port ]] || { echo "error: no broker was run in $dir" >&2; exit 1; }
  instance_environment
  # rabbitmqctl is an Erlang node too: it must neither start an epmd of its own (one that outlives it, when the broker
  # is down) nor listen (RabbitMQ's CLI shares 11 ports, 35672-35682, between every call on the machine).
  export RABBITMQ_CTL_ERL_ARGS="-start_epmd false -dist_listen false"
  # From DIR: the broker's user may not be able to read the caller's working directory.
  cd "$dir"
  as_broker_user "$rabbit_bin/rabbitmqctl" -n "$node" "$@"
}

case "$command" in
  run) run "$@" ;;
  ctl) ctl "$@" ;;
  *) usage ;;
esac
