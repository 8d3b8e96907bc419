# ceremony: a key-ceremony runner. See README.md.
#   make            build build/ceremony
#   make check      deps, build, unit + CLI tests + vectors; ends with "N passed, N failed, N skipped"
#   make rehearse   deps, build, rehearse the example ceremony on throwaway SoftHSM tokens
#   make rehearse-sequence   the company's root then intermediate ceremony, each after
#                   the one it builds on, air-gapped (tools/offline)
#   make deps       install the Debian packages the build and tests need (as root)
#   make install PREFIX=/usr/local DESTDIR=
#   make asan | memcheck | bench
#   make fuzz FUZZ_SECONDS=60   every fuzz target under libFuzzer for that long (tests/fuzz)
#   make mutate     deps; each check of the transcript verifier disabled in turn in a scratch
#                   copy: the tests must fail every time (tests/mutate.sh, a few minutes)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
BUILD     ?= build

PKGS      := yaml-0.1 libcrypto libcbor p11-kit-1
DEB_PKGS  := build-essential pkg-config libyaml-dev libssl-dev libcbor-dev libp11-kit-dev \
             libgfshare-dev softhsm2 libcmocka-dev opensc gnutls-bin openssl python3 \
             python3-cbor2 python3-cryptography python3-yaml python3-jsonschema golang-go tmux \
             iproute2 chromium poppler-utils fonts-dejavu-core valgrind \
             libengine-pkcs11-openssl man-db

REVISION  := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
WARN      := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wwrite-strings -Wvla
HARDEN    := -fstack-protector-strong -D_FORTIFY_SOURCE=2
ifdef CI
WARN      += -Werror
endif
OPT       ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# p11-kit has no run-time version call: system.info says the one built against.
P11KIT_VERSION = $(shell pkg-config --modversion p11-kit-1 2>/dev/null)
ALL_CFLAGS = $(WARN) $(HARDEN) $(OPT) -D_GNU_SOURCE -DCER_VERSION='"$(VERSION)"' \
             -DCER_REVISION='"$(REVISION)"' -DCER_P11KIT_VERSION='"$(P11KIT_VERSION)"' \
             -I. -I$(BUILD) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -Wl,-z,relro,-z,now $(LDFLAGS)
LIBS       = $(PKG_LIBS) -lgfshare -ldl $(EXTRA_LIBS)

SRC        := $(wildcard runner/*.c) $(wildcard steps/*.c)
OBJ        := $(patsubst %.c,$(BUILD)/%.o,$(SRC)) $(BUILD)/gen/pgpwords.o
# Unit tests link the modules, not main and the commands (those are tested from the CLI).
LIB_OBJ    := $(filter-out $(BUILD)/runner/main.o $(BUILD)/runner/cmd_%.o,$(OBJ))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_SKIP  ?=
UNIT_BIN   := $(filter-out $(patsubst %,$(BUILD)/tests/%,$(UNIT_SKIP)),$(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC)))

.PHONY: all check unit cli fuzz fuzz-bin rehearse rehearse-sequence deps install asan memcheck bench failalloc mutate check-debian13 clean
all: $(BUILD)/ceremony

$(BUILD)/gen/pgpwords.c: data/pgp-words.txt tools/pgpwords.awk
	@mkdir -p $(dir $@)
	awk -f tools/pgpwords.awk $< > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/pgpwords.o: $(BUILD)/gen/pgpwords.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c $(wildcard runner/*.h) $(wildcard steps/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/ceremony: $(OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJ) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS) -lcmocka

# Allocation-failure injection (tests/tools/failalloc.c, test-only): its malloc,
# calloc, realloc, free and strdup come first in symbol lookup, so it is linked into
# its own test and nothing else.
$(BUILD)/tests/failalloc.o: tests/tools/failalloc.c tests/tools/failalloc.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fno-builtin -c $< -o $@

$(BUILD)/tests/test_failalloc: tests/unit/test_failalloc.c $(BUILD)/tests/failalloc.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/tests/failalloc.o $(LIB_OBJ) $(LIBS) -lcmocka

$(BUILD)/tests/test_interp: tests/unit/test_interp.c $(BUILD)/tests/failalloc.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/tests/failalloc.o $(LIB_OBJ) $(LIBS) -lcmocka

# failalloc: every allocation failed in turn (make check tries every 7th after the
# first 200 of each operation, every 101st of a whole interpreter run, which keeps
# it to seconds; this takes about ten minutes).
failalloc: deps
	$(MAKE) --no-print-directory $(BUILD)/tests/test_failalloc
	FAILALLOC_STRIDE=1 $(BUILD)/tests/test_failalloc
	$(MAKE) --no-print-directory $(BUILD)/tests/test_interp
	FAILALLOC_STRIDE=1 $(BUILD)/tests/test_interp

# The generator of the older vectors (tests/vectors/gen.c): built by check so that it
# cannot rot, never run by it (a run draws new keys, ceremony ids and times).
$(BUILD)/tests/gen: tests/vectors/gen.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

# Fuzz targets (tests/fuzz): built here with replay.c's main, so make check replays
# their corpora under any compiler; `make fuzz` builds them again with libFuzzer.
FUZZ_TARGETS := script answers binding transcript resign share
FUZZ_BIN     := $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))
FUZZ_MAIN    ?= tests/fuzz/replay.c
FUZZ_LDFLAGS ?=
$(BUILD)/fuzz/%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_file.c tests/fuzz/fuzz.h $(FUZZ_MAIN) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(FUZZ_LDFLAGS) -o $@ $< tests/fuzz/fuzz_file.c $(FUZZ_MAIN) $(LIB_OBJ) $(LIBS)

fuzz-bin: $(FUZZ_BIN)

# fuzz: every target under libFuzzer (clang-14, ASan + UBSan) for FUZZ_SECONDS each,
# from its corpus in tests/fuzz/corpus; what it finds new is kept in
# build-fuzz/corpus, a crash in build-fuzz/crashes (tests/fuzz/run.sh).
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang-14
fuzz: deps
	$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) FUZZ_MAIN= \
	  OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	  FUZZ_LDFLAGS="-fsanitize=fuzzer,address,undefined" fuzz-bin
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh build-fuzz $(FUZZ_TARGETS)

# A test-only PKCS#11 shim in front of SoftHSM (tests/tools/p11shim.c); never installed.
$(BUILD)/tests/p11shim.so: tests/tools/p11shim.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -shared $(ALL_LDFLAGS) -o $@ $< -ldl -lpthread

# A test-only PKCS#11 module that adds ML-DSA key pairs to SoftHSM where OpenSSL has
# ML-DSA (3.5 and later) (tests/tools/p11mldsa_testonly.c); never installed.
$(BUILD)/tests/p11-mldsa-TESTONLY.so: tests/tools/p11mldsa_testonly.c runner/token.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -shared $(ALL_LDFLAGS) -o $@ $< -lcrypto -ldl -lpthread

# A strict X.509 reader for the tests: Go's crypto/x509 (standard library only, no
# modules fetched), which refuses encodings OpenSSL and GnuTLS forgive.
GO_ENV = GOCACHE=$(abspath $(BUILD))/go-cache GOPATH=$(abspath $(BUILD))/go-path GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local
$(BUILD)/tests/x509check: tests/tools/x509check.go
	@mkdir -p $(dir $@)
	$(GO_ENV) go build -o $@ $<

# deps: what the build and the tests need, installed when missing (as root), else
# the one apt-get line to run.
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing Debian packages; run as root:"; echo "  apt-get install $$missing"; exit 1; \
	  fi; \
	fi

check: deps
	$(MAKE) --no-print-directory all $(UNIT_BIN) $(BUILD)/tests/p11shim.so $(BUILD)/tests/p11-mldsa-TESTONLY.so \
	  $(BUILD)/tests/x509check $(BUILD)/tests/gen $(FUZZ_BIN)
	@CEREMONY=$(abspath $(BUILD)/ceremony) BUILD=$(abspath $(BUILD)) sh tests/run.sh $(UNIT_BIN)

# check-debian13: make check again on Debian 13 (OpenSSL 3.5, libcbor 0.10, gcc 14),
# in a root debootstrap makes once from Debian's packages and keeps in
# DEBIAN13_ROOT (default /var/cache/ceremony/debian13); as root (tests/debian13.sh).
check-debian13:
	@sh tests/debian13.sh check

# mutate: the tests must notice each check of the verifier going (tests/mutate.sh).
mutate: deps
	@sh tests/mutate.sh

rehearse: deps
	$(MAKE) --no-print-directory all
	@out=$(BUILD)/rehearsal-$$(date +%Y%m%dT%H%M%S); \
	$(BUILD)/ceremony rehearse ceremonies/course-exercise.yaml \
	  --answers examples/answers/course-exercise.yaml --out $$out && \
	echo && $(BUILD)/ceremony verify $$out/transcript.cts --script ceremonies/course-exercise.yaml

# rehearse-sequence: the ceremonies of examples/sequence in their order, each after the
# one it builds on (rehearse --after), on a workstation without network (tools/offline),
# into build/sequence-YYYYMMDDTHHMMSS/NAME, each transcript verified.
rehearse-sequence: deps
	$(MAKE) --no-print-directory all
	@set -e; dir=$(BUILD)/sequence-$$(date +%Y%m%dT%H%M%S); mkdir -p $$dir; \
	grep -v '^#' examples/sequence | while read -r name after; do \
	  [ -n "$$name" ] || continue; \
	  echo "== $$name$${after:+ (after $$after)}"; \
	  tools/offline $(BUILD)/ceremony rehearse ceremonies/$$name.yaml --answers examples/answers/$$name.yaml \
	    $${after:+--after $$dir/$$after} --out $$dir/$$name --keep >$$dir/$$name.log 2>&1 || \
	    { tail -n 20 $$dir/$$name.log; exit 1; }; \
	  $(BUILD)/ceremony verify $$dir/$$name/transcript.cts --script ceremonies/$$name.yaml | head -n 1; \
	done; echo "rehearsals and logs in $$dir"

install: $(BUILD)/ceremony
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ceremony/schemas \
	  $(DESTDIR)$(PREFIX)/share/ceremony/ceremonies $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/ceremony $(DESTDIR)$(PREFIX)/bin/ceremony
	install -m 0644 schemas/* $(DESTDIR)$(PREFIX)/share/ceremony/schemas/
	install -m 0644 ceremonies/*.yaml $(DESTDIR)$(PREFIX)/share/ceremony/ceremonies/
	install -m 0644 doc/ceremony.1 $(DESTDIR)$(PREFIX)/share/man/man1/ceremony.1
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 doc/ceremony.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ceremony

# bench: speed and memory of the transcript (medians of one run; compare runs, the
# machines are shared). Not part of check: no timing is asserted anywhere.
$(BUILD)/bench/%: bench/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

# bench/run.sh prints the report bench/RESULTS.md keeps (BENCH_ROUNDS=7 by default).
bench: deps all $(BUILD)/bench/bench_transcript
	sh bench/run.sh $(BUILD)

# asan: the whole of make check (unit, CLI, vectors, fuzz replays) built with ASan and
# UBSan. The allocation-failure tests are left out: their allocator and ASan's cannot
# both own the heap (make check runs them).
asan:
	LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):fast_unwind_on_malloc=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	$(MAKE) BUILD=build-asan UNIT_SKIP=test_failalloc OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" check

# memcheck: the unit tests (but the allocation-failure ones, whose allocator and
# valgrind's cannot both own the heap), then the CLI tests with every ceremony process under
# valgrind (tests/tools/vgrun: an error or a definite or indirect leak is logged and
# exits 99, which the test sees). MEMCHECK_TESTS picks CLI tests (shell patterns);
# the whole suite takes hours.
MEMCHECK_TESTS ?= t*.sh
memcheck: all $(UNIT_BIN) $(BUILD)/tests/p11shim.so $(BUILD)/tests/x509check $(FUZZ_BIN)
	@for t in $(filter-out %/test_failalloc,$(UNIT_BIN)); do CER_UNDER_VALGRIND=1 valgrind -q --error-exitcode=9 --leak-check=full --suppressions=tests/valgrind.supp $$t || exit 1; done
	@logs=$(abspath $(BUILD))/memcheck-$$$$; rm -rf $$logs; mkdir -p $$logs; \
	MEMCHECK_REAL=$(abspath $(BUILD)/ceremony) MEMCHECK_LOGS=$$logs CEREMONY=$(abspath tests/tools/vgrun) \
	  BUILD=$(abspath $(BUILD)) CLI_TESTS="$(MEMCHECK_TESTS)" sh tests/run.sh; rc=$$?; \
	bad=$$(find $$logs -type f -size +0 | wc -l); \
	echo "valgrind: $$(ls $$logs | wc -l) ceremony processes, $$bad with errors or leaks (logs in $$logs)"; \
	find $$logs -type f -size +0 -exec cat {} + | head -n 200; \
	[ $$rc -eq 0 ] && [ $$bad -eq 0 ]

clean:
	rm -rf build build-asan build-fuzz
