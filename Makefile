# PGXS build of the stream extension.
#
#   make && make install    build and install
#   make installcheck       every test against the running server (which
#                           must preload stream and have pgTAP installed)
#
# test/run wraps this: it installs what is needed, builds, starts a server
# and runs the three suites (README.md, "Where the tests live").

MODULE_big = stream
OBJS = \
	src/stream.o \
	src/injection.o \
	src/failure_log.o \
	src/numeric128.o \
	src/log/log_am.o \
	src/log/log_decode.o \
	src/log/log_page.o \
	src/log/log_vacuum.o \
	src/log/log_wal.o \
	src/log/visibility.o \
	src/http/access_key.o \
	src/http/actions.o \
	src/http/cbor.o \
	src/http/claims.o \
	src/http/eventstream.o \
	src/http/http2.o \
	src/http/request.o \
	src/http/server.o \
	src/http/shapes.o \
	src/http/sigv4.o \
	src/http/validate.o \
	src/kinesis/acl.o \
	src/kinesis/application.o \
	src/kinesis/backup.o \
	src/kinesis/catalog.o \
	src/kinesis/crypt.o \
	src/kinesis/delivery.o \
	src/kinesis/feed.o \
	src/kinesis/get.o \
	src/kinesis/guard.o \
	src/kinesis/hashkey.o \
	src/kinesis/iterator.o \
	src/kinesis/kinesis.o \
	src/kinesis/kms.o \
	src/kinesis/metrics.o \
	src/kinesis/names.o \
	src/kinesis/put.o \
	src/kinesis/quota.o \
	src/kinesis/reader.o \
	src/kinesis/segment.o \
	src/kinesis/sequence.o \
	src/kinesis/sink.o \
	src/kinesis/wait.o \
	src/worker/worker.o

PG_CPPFLAGS += -I$(srcdir)/src

# OpenSSL's libcrypto hashes partition keys (MD5, src/kinesis/hashkey.c);
# zlib compresses the files of deliveries (src/kinesis/delivery.c); the
# Kinesis endpoint (src/http/) speaks TLS with libssl, parses HTTP/1.1 with
# Node's http_parser (Debian's libhttp-parser-dev) and HTTP/2 with nghttp2.
SHLIB_LINK += -lssl -lcrypto -lz -lhttp_parser -lnghttp2 -lcbor

EXTENSION = stream
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" stream.control)

# The install script is made from one file per concern, sql/NN_*.sql, in the
# order of their numbers (as pg_partman does), so that a change to one
# function is a small diff.  Upgrade scripts, stream--A--B.sql, are written
# by hand and installed as they are.
SQL_SOURCES = $(sort $(wildcard sql/[0-9][0-9]_*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# Upgrade scripts, and the install scripts of released versions as they were
# released (the upgrade-path test installs them, then updates).
DATA = $(wildcard sql/$(EXTENSION)--*.sql)

# Tests, as PGXS runs them (make installcheck):
# - the SQL surface: pgTAP files test/sql/NAME.sql run by pg_regress, whose
#   TAP output is compared with expected/NAME.out;
# - concurrency: isolation specs test/specs/NAME.spec, expected/NAME.out;
# - crashes, standbys, workers: TAP tests test/t/*.pl, each with its own
#   clusters.
# pg_regress reads <inputdir>/sql and <inputdir>/specs, and takes expected
# output from <outputdir>/expected before <inputdir>/expected: inputdir is
# test/, outputdir the top level, so expected/ is where PGXS looks.
REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --load-extension=stream --load-extension=pgtap
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=. --load-extension=stream
TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))
# Test databases in UTF-8 whatever the server's default (003_large_records
# and the pgTAP files write non-ASCII partition keys).
ENCODING = UTF8
NOLOCALE = --no-locale
EXTRA_CLEAN = results output_iso tmp_check regression.diffs regression.out

# Callbacks of PostgreSQL's APIs (table AM, WAL redo) take parameters that a
# given implementation does not use, so unused-parameter is the one -Wextra
# warning turned off.
PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter -Werror

# Rebuild objects when a header they include changes.
override autodepend = yes

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) stream.control
	cat $(SQL_SOURCES) > $@
