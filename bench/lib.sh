# shellcheck shell=bash
# Shell functions shared by the benchmarks (bench/run, bench/flat_cost,
# bench/expiry), on top of test/lib.sh: the packages they need beyond the
# test suite's, and the settings of their throwaway cluster.
#
# Source it from bash after test/lib.sh; it defines functions and variables
# and runs nothing.

# Beyond test/lib.sh's packages: gnuplot draws the chart, PgQ is a baseline,
# libpq-dev builds bench/client.c.
BENCH_PACKAGES=(gnuplot-nox postgresql-15-pgq3 libpq-dev)

# Every benchmark cluster gets these postgresql.conf lines:
# - the per-shard throughput quotas off (a provisioned shard takes 1,000
#   records/s by default, which is what the quotas are for, not what a
#   benchmark of the engine measures);
# - enough shared_buffers that what a benchmark reads is in memory, and
#   enough WAL room that filling does not leave checkpoints running into the
#   measurements;
# - autovacuum off, so that the only VACUUM is the one a benchmark runs (it
#   vacuums what it filled before measuring).
BENCH_SETTINGS=(
	"stream.shard_write_bytes_per_second = 0"
	"stream.shard_write_records_per_second = 0"
	"stream.shard_read_bytes_per_second = 0"
	"stream.shard_read_calls_per_second = 0"
	"shared_buffers = '1GB'"
	"max_wal_size = '8GB'"
	"checkpoint_timeout = '30min'"
	"autovacuum = off"
)

# Install BENCH_PACKAGES that are missing (as stream_install_packages does for
# the test suite's).  A package that cannot be installed is reported and
# left out: the caller checks for what it needs.
bench_install_packages()
{
	local missing p

	mapfile -t missing < <(stream_missing_packages "${BENCH_PACKAGES[@]}")
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "${STREAM_SKIP_APT:-}" = 1 ] || [ "$(id -u)" -ne 0 ]; then
		printf 'warning: not installing %s (STREAM_SKIP_APT=1 or not root)\n' \
			"${missing[*]}" >&2
		return 0
	fi
	stream_say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Try with the package lists there are; update them only if that fails.
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" \
		>/dev/null 2>&1; then
		apt-get update -q >/dev/null 2>&1 ||
			printf 'warning: apt-get update failed\n' >&2
		for p in "${missing[@]}"; do
			apt-get install -y -q --no-install-recommends "$p" >/dev/null 2>&1 ||
				printf 'warning: could not install %s\n' "$p" >&2
		done
	fi
}

# True when Debian's PgQ extension is installed for PostgreSQL 15.
bench_have_pgq()
{
	[ -f /usr/share/postgresql/15/extension/pgq.control ]
}
