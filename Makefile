# PGXS build of the stream extension.
#
# Tests are run by test/run (see README.md); "make" only builds and installs.

MODULE_big = stream
OBJS = \
	src/stream.o \
	src/hashkey.o \
	src/log_page.o \
	src/log_wal.o \
	src/log_am.o \
	src/log_vacuum.o \
	src/visibility.o \
	src/catalog.o \
	src/iterator.o \
	src/put.o \
	src/get.o \
	src/maintenance.o \
	src/quota.o \
	src/worker.o

# OpenSSL's libcrypto hashes partition keys (MD5, src/hashkey.c).
SHLIB_LINK += -lcrypto

EXTENSION = stream
DATA = sql/stream--0.1.sql

# Callbacks of PostgreSQL's APIs (table AM, WAL redo) take parameters that a
# given implementation does not use, so unused-parameter is the one -Wextra
# warning turned off.
PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter -Werror

# Rebuild objects when a header they include changes.
override autodepend = yes

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
