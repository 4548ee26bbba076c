# PGXS build of the stream extension.
#
# Tests are run by test/run (see README.md); "make" only builds and installs.

MODULE_big = stream
OBJS = \
	src/stream.o \
	src/injection.o \
	src/numeric128.o \
	src/log/log_am.o \
	src/log/log_page.o \
	src/log/log_vacuum.o \
	src/log/log_wal.o \
	src/log/visibility.o \
	src/kinesis/catalog.o \
	src/kinesis/get.o \
	src/kinesis/hashkey.o \
	src/kinesis/iterator.o \
	src/kinesis/kinesis.o \
	src/kinesis/names.o \
	src/kinesis/put.o \
	src/kinesis/quota.o \
	src/kinesis/segment.o \
	src/kinesis/sequence.o \
	src/worker/worker.o

PG_CPPFLAGS += -I$(srcdir)/src

# OpenSSL's libcrypto hashes partition keys (MD5, src/hashkey.c).
SHLIB_LINK += -lcrypto

EXTENSION = stream
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" stream.control)

# The install script is made from one file per concern, sql/NN_*.sql, in the
# order of their numbers (as pg_partman does), so that a change to one
# function is a small diff.  Upgrade scripts, stream--A--B.sql, are written
# by hand and installed as they are.
SQL_SOURCES = $(sort $(wildcard sql/[0-9][0-9]_*.sql))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(wildcard sql/$(EXTENSION)--*--*.sql)

# Callbacks of PostgreSQL's APIs (table AM, WAL redo) take parameters that a
# given implementation does not use, so unused-parameter is the one -Wextra
# warning turned off.
PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter -Werror

# Rebuild objects when a header they include changes.
override autodepend = yes

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) stream.control
	cat $(SQL_SOURCES) > $@
