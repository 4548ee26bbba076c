# shellcheck shell=bash
# Shell functions shared by test/run and demo/run: install the packages,
# build and install the extension, and start a throwaway PostgreSQL 15
# cluster that runs as the postgres OS user.
#
# Source it from bash; it defines functions and variables and runs nothing.
#
# Environment knobs (all optional):
#   STREAM_SKIP_APT=1    do not run apt-get even if a package is missing
#   STREAM_SKIP_BUILD=1  do not build and install the extension (use what is
#                        installed already; handy while debugging the scripts)
#   STREAM_KEEP_TMP=1    keep the temporary directory (cluster, logs, results)

# runuser and apt-get's helpers live in the sbin directories, which a
# minimal PATH (cron, env -i) leaves out.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH

STREAM_PG_BIN=/usr/lib/postgresql/15/bin
# shellcheck disable=SC2034  # used by test/run
STREAM_PGXS=/usr/lib/postgresql/15/lib/pgxs
STREAM_PG_CONFIG=/usr/bin/pg_config

STREAM_PACKAGES=(
	postgresql-15
	postgresql-server-dev-15
	postgresql-15-pgtap
	postgresql-15-cron
	postgresql-15-wal2json
	libipc-run-perl
	libssl-dev
	zlib1g-dev
	libhttp-parser-dev
	libnghttp2-dev
	libcbor-dev
	nodejs
	npm
	awscli
	openssl
	make
	gcc
	perl
	gnuplot-nox
)

# Set by stream_cluster_start, used by stream_cluster_stop and stream_psql.
STREAM_TMP=
STREAM_PGDATA=
STREAM_SOCKDIR=
STREAM_PGPORT=
STREAM_SERVER_LOG=

stream_say()
{
	printf '==> %s\n' "$*"
}

stream_die()
{
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# Print those of the packages named that are not installed, one a line.
stream_missing_packages()
{
	local p

	for p in "$@"; do
		# Node.js from elsewhere (NodeSource) brings its own npm
		if [ "$p" = npm ] && command -v npm >/dev/null; then
			continue
		fi
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed'; then
			echo "$p"
		fi
	done
}

# Install every package the build, the demo and the tests need.  apt-get is
# skipped when all of them are installed already, so that a second run (and
# the second script of a CI run) does not pay for "apt-get update" again.
stream_install_packages()
{
	local missing

	mapfile -t missing < <(stream_missing_packages "${STREAM_PACKAGES[@]}")
	if [ ${#missing[@]} -eq 0 ]; then
		stream_say "packages already installed"
		return 0
	fi
	if [ "${STREAM_SKIP_APT:-}" = 1 ]; then
		stream_die "missing packages (STREAM_SKIP_APT=1): ${missing[*]}"
	fi
	[ "$(id -u)" -eq 0 ] || stream_die "run as root to install: ${missing[*]}"
	stream_say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# A failing third-party source makes "apt-get update" fail while Debian's
	# own lists are fine; let the install say whether something is missing.
	apt-get update -q ||
		printf 'warning: apt-get update failed; trying the install anyway\n' >&2
	apt-get install -y -q --no-install-recommends "${STREAM_PACKAGES[@]}" ||
		stream_die "apt-get install failed"
}

# Build and install the extension from the repository at $1, with the extra
# compiler flags in STREAM_CFLAGS if any (-DUSE_ASSERT_CHECKING, say; a
# build with other flags than the last is made from scratch).  The Makefile
# compiles with -Werror; any "warning:" line that still gets through (from
# the linker, say) fails the build too.
stream_build()
{
	local repo=$1 log rc flags=${STREAM_CFLAGS:-} stamp=$1/.build-flags

	if [ "${STREAM_SKIP_BUILD:-}" = 1 ]; then
		stream_say "skipping build (STREAM_SKIP_BUILD=1)"
		return 0
	fi
	if [ "$(cat "$stamp" 2>/dev/null)" != "$flags" ]; then
		make -C "$repo" clean PG_CONFIG="$STREAM_PG_CONFIG" >/dev/null
	fi
	stream_say "building the extension${flags:+ with $flags}"
	log=$(mktemp)
	make -C "$repo" -j"$(nproc)" PG_CONFIG="$STREAM_PG_CONFIG" COPT="$flags" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ]; then
		rm -f "$log"
		printf 'error: build failed\n' >&2
		return 1
	fi
	if grep -q 'warning:' "$log"; then
		rm -f "$log"
		printf 'error: build printed warnings\n' >&2
		return 1
	fi
	rm -f "$log"
	printf '%s' "$flags" >"$stamp"
	make -C "$repo" install PG_CONFIG="$STREAM_PG_CONFIG" COPT="$flags" >/dev/null || {
		printf 'error: make install failed\n' >&2
		return 1
	}
	stream_say "installed into $("$STREAM_PG_CONFIG" --pkglibdir)"
}

# Run a command as the postgres OS user (PostgreSQL refuses to run as
# root), with the server binaries first on PATH, from $STREAM_PG_CWD (default
# the temporary directory: the repository may live where postgres cannot
# read).  Run as any other user, it runs the command as that user.
stream_as_pg()
{
	(
		cd "${STREAM_PG_CWD:-${STREAM_TMP:-/}}" || exit 1
		if [ "$(id -u)" -eq 0 ]; then
			exec runuser -u postgres -- env PATH="$STREAM_PG_BIN:$PATH" "$@"
		else
			exec env PATH="$STREAM_PG_BIN:$PATH" "$@"
		fi
	)
}

# Make a temporary directory owned by postgres and set STREAM_TMP to it.
stream_make_tmp()
{
	local prefix=$1

	STREAM_TMP=$(mktemp -d "/tmp/$prefix.XXXXXX")
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$STREAM_TMP"
	fi
	chmod 755 "$STREAM_TMP"
}

# Create and start a throwaway cluster under $STREAM_TMP, listening only on a
# Unix socket in $STREAM_TMP/sock on port $1, with the extension preloaded.
# Further arguments are extra postgresql.conf lines.  Exports PGHOST and
# PGPORT so that psql and friends find it.
stream_cluster_start()
{
	local port=$1 line
	shift

	[ -n "$STREAM_TMP" ] || stream_die "stream_make_tmp first"
	STREAM_PGDATA=$STREAM_TMP/data
	STREAM_SOCKDIR=$STREAM_TMP/sock
	STREAM_PGPORT=$port
	STREAM_SERVER_LOG=$STREAM_TMP/server.log

	stream_as_pg mkdir -p "$STREAM_SOCKDIR"
	stream_as_pg initdb -D "$STREAM_PGDATA" -A trust -U postgres \
		--locale=C -E UTF8 -N >"$STREAM_TMP/initdb.log" 2>&1 || {
		cat "$STREAM_TMP/initdb.log" >&2
		stream_die "initdb failed"
	}
	# the root key of the extension's KMS keys (README, "Encryption at rest"),
	# readable by the server's user only
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n' |
		stream_as_pg sh -c "umask 077 && cat > '$STREAM_TMP/kms_root_key'"
	{
		echo "# added by test/lib.sh"
		echo "stream.kms_root_key_file = '$STREAM_TMP/kms_root_key'"
		echo "port = $port"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$STREAM_SOCKDIR'"
		echo "shared_preload_libraries = 'stream'"
		echo "fsync = off"
		echo "max_worker_processes = 16"
		echo "log_checkpoints = off"
		echo "log_line_prefix = '%m [%p] %q%a '"
		for line in "$@"; do
			echo "$line"
		done
	} | stream_as_pg tee -a "$STREAM_PGDATA/postgresql.conf" >/dev/null

	if ! stream_as_pg pg_ctl -D "$STREAM_PGDATA" -l "$STREAM_SERVER_LOG" \
		-w -t 60 start >/dev/null; then
		echo "---- server log ----" >&2
		cat "$STREAM_SERVER_LOG" >&2
		STREAM_PGDATA=
		stream_die "the server did not start on port $port"
	fi
	export PGHOST=$STREAM_SOCKDIR PGPORT=$port PGUSER=postgres
	stream_say "PostgreSQL $(stream_psql -d postgres -Atc 'SHOW server_version') on port $port, socket in $STREAM_SOCKDIR"
}

# Stop the cluster if one was started; quiet, for traps.
stream_cluster_stop()
{
	if [ -n "$STREAM_PGDATA" ] && [ -f "$STREAM_PGDATA/postmaster.pid" ]; then
		stream_as_pg pg_ctl -D "$STREAM_PGDATA" -m fast -w -t 60 stop \
			>/dev/null 2>&1 ||
			stream_as_pg pg_ctl -D "$STREAM_PGDATA" -m immediate stop \
				>/dev/null 2>&1
	fi
	STREAM_PGDATA=
}

# Stop the cluster and remove the temporary directory (unless
# STREAM_KEEP_TMP=1).  Meant for "trap stream_cleanup EXIT".
stream_cleanup()
{
	local pidfile

	stream_cluster_stop
	# Clusters a TAP test left running (killed by a timeout, say).
	if [ -n "$STREAM_TMP" ] && [ -d "$STREAM_TMP" ]; then
		find "$STREAM_TMP" -name postmaster.pid 2>/dev/null |
			while read -r pidfile; do
				stream_as_pg pg_ctl -D "$(dirname "$pidfile")" \
					-m immediate stop >/dev/null 2>&1
			done
	fi
	if [ -n "$STREAM_TMP" ] && [ -d "$STREAM_TMP" ]; then
		if [ "${STREAM_KEEP_TMP:-}" = 1 ]; then
			echo "kept $STREAM_TMP" >&2
		else
			rm -rf "$STREAM_TMP"
		fi
	fi
	STREAM_TMP=
}

# psql against the throwaway cluster, as postgres, stopping at the first
# error.
stream_psql()
{
	stream_as_pg env PGHOST="$STREAM_SOCKDIR" PGPORT="$STREAM_PGPORT" \
		PGUSER=postgres psql -X -v ON_ERROR_STOP=1 -q "$@"
}
