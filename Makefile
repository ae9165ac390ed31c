# steelgrad - one build for the library, the CLI, the tests and the benches.
#
#   make              libsteelgrad.a and the steelgrad binary (in build/)
#   make test         build and run every Check suite
#   make sanitize     the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo         the main job on the built-in synthetic data (no data needed)
#   make bench        benchmarks, JSON lines
#   make test-arm     every suite cross-built for aarch64, run under qemu-aarch64
#   make test-riscv   riscv64 library + CLI, digests under qemu-riscv64
#   make test-oldcpu  build/steelgrad under qemu-x86_64 -cpu Westmere (scalar, digests)
#   make mutate       the mutation harness (hours; MUTANTS='1-5' or a pattern for a subset)
#   make install      binary, libsteelgrad.a + .so, headers, steelgrad.pc under PREFIX
#                     (default /usr/local; DESTDIR for staging)
#   make clean
#   make test-mpi     build with MPI=1 in build-mpi and run the MPI tests (tests/mpi/run.sh)
# Options: CC=clang, OPENMP=1, MPI=1 (data-parallel training: mpicc, docs/DISTRIBUTED.md), BUILD=dir, DEBUG=1.
#
# Generic files are compiled for the baseline ISA only; files named *_avx2.c,
# *_avx512.c, *_neon.c get their ISA flags and nothing else does, so an old
# CPU never meets an instruction it lacks (the dispatch table picks at run time).
#
# The arithmetic is pinned: -ffp-contract=off for every file and every compiler
# (gcc in -std=c11 mode does not fuse a * b + c, clang does by default; a fused
# multiply-add is written as fmaf() or an FMA intrinsic where we mean one), and
# no fast-math or unsafe-math flag, ever. This is what lets gcc and clang, x86 and Arm give the same bits.

CC      ?= cc
BUILD   ?= build
OPT     ?= -O3
# CFLAGS from the command line are added (e.g. CFLAGS=-Werror), not substituted.
FP_FLAGS := -ffp-contract=off
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(OPT) $(FP_FLAGS) -g -Wall -Wextra -I. -pthread $(CFLAGS)
LDLIBS  += -lm -pthread
ifeq ($(OPENMP),1)
ALL_CFLAGS += -fopenmp -DSG_OPENMP
LDLIBS  += -fopenmp
endif
# MPI=1: every file through mpicc (MPICC=...), train/dist.c talks to MPI.
# Without it nothing of MPI is compiled or linked.
MPICC   ?= mpicc
ifeq ($(MPI),1)
override CC := $(MPICC)
ALL_CFLAGS += -DSG_MPI
endif

# One line per SIMD ISA: the flags its *_<isa>.c files are compiled with. A new
# ISA (see docs/PORTING.md) adds its line here and its name to the ISAS of its
# architecture below; the list of ISAs and the compile rules follow from these.
ISA_FLAGS_avx2   := -mavx2 -mfma
ISA_FLAGS_avx512 := -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma
ISA_FLAGS_neon   :=
ALL_ISAS := $(patsubst ISA_FLAGS_%,%,$(filter ISA_FLAGS_%,$(.VARIABLES)))

ARCH := $(shell $(CC) -dumpmachine)
ifneq (,$(findstring x86_64,$(ARCH)))
ISAS := avx2 avx512
else ifneq (,$(findstring aarch64,$(ARCH)))
ISAS := neon
else
ISAS :=
endif
# Debian's aarch64 gcc 12 stops with an internal compiler error (in
# vect_transform_reduction) when it vectorises an fmax() reduction over floats
# widened to double at -O3. Library code avoids the pattern (interp/anomaly.c);
# several suites have it, so the suites are built without loop vectorisation on
# that compiler. It changes no result: the loops it would vectorise keep their order.
ifneq (,$(findstring aarch64,$(ARCH)))
ifeq (12,$(firstword $(subst ., ,$(shell $(CC) -dumpversion 2>/dev/null))))
TEST_CFLAGS += -fno-tree-loop-vectorize
endif
endif
LIB_DIRS := core core/kernels layers optim models data interp train serve
LIB_SRC_ALL := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
# Kernel files of the ISAs this target lacks are not built.
LIB_SRC := $(filter-out $(foreach i,$(filter-out $(ISAS),$(ALL_ISAS)),%_$(i).c),$(LIB_SRC_ALL))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/page.o
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out $(TEST_SRC),$(wildcard tests/*.c)))
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

# Recursive (=): read when the suites link, after tests/deps.sh may have installed Check.
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt)

LIB := $(BUILD)/libsteelgrad.a
BIN := $(BUILD)/steelgrad

.PHONY: all test test-mpi sanitize demo bench clean tests test-deps fuzz fuzz-run mutate install shared test-arm test-riscv test-oldcpu cli-doc
all: $(LIB) $(BIN)

# One pattern rule per ISA suffix, generated from the ISA_FLAGS_<isa> lines.
define ISA_RULE
$$(BUILD)/obj/%_$(1).o: %_$(1).c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $$(ISA_FLAGS_$(1)) -MMD -MP -c $$< -o $$@
endef
$(foreach i,$(ISAS),$(eval $(call ISA_RULE,$(i))))
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@
# The suites include <check.h>: install it first when missing (tests/deps.sh).
$(BUILD)/obj/tests/%.o: tests/%.c | test-deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -MMD -MP -c $< -o $@

# The station's page (serve/page.html) as a C string: backslashes and quotes
# escaped, '?' too (no trigraphs), one literal per line.
$(BUILD)/gen/page.c: serve/page.html
	@mkdir -p $(dir $@)
	{ echo '/* generated from serve/page.html by the Makefile */'; echo '#include "serve/station.h"'; \
	  echo 'const char sg_station_page[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } > $@
$(BUILD)/obj/gen/page.o: $(BUILD)/gen/page.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_LIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_LIB_OBJ) $(LIB) $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The shared library: the same sources compiled again as position-independent
# code (in $(BUILD)/pic/), linked with its soname.
SO_NAME := libsteelgrad.so.$(firstword $(subst ., ,$(shell sed -n 's/^\#define SG_VERSION "\(.*\)"/\1/p' core/init.h)))
SO_VERSION := $(shell sed -n 's/^\#define SG_VERSION "\(.*\)"/\1/p' core/init.h)
SO := $(BUILD)/libsteelgrad.so
PIC_OBJ := $(LIB_OBJ:$(BUILD)/obj/%.o=$(BUILD)/pic/%.o)
define PIC_ISA_RULE
$$(BUILD)/pic/%_$(1).o: %_$(1).c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) -fPIC $$(ISA_FLAGS_$(1)) -MMD -MP -c $$< -o $$@
endef
$(foreach i,$(ISAS),$(eval $(call PIC_ISA_RULE,$(i))))
$(BUILD)/pic/gen/page.o: $(BUILD)/gen/page.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -MMD -MP -c $< -o $@
$(SO): $(PIC_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SO_NAME) -o $@ $^ $(LDLIBS)
shared: $(SO)

# make install [PREFIX=/usr/local] [DESTDIR=]: the public headers keep their
# folders under include/steelgrad/ (a program includes "core/tensor.h" with
# -I$(PREFIX)/include/steelgrad, which steelgrad.pc gives).
PREFIX ?= /usr/local
INC_DIRS := $(LIB_DIRS)
install: $(LIB) $(BIN) $(SO)
	@set -e; root="$(DESTDIR)$(PREFIX)"; \
	mkdir -p "$$root/bin" "$$root/lib/pkgconfig" "$$root/include/steelgrad"; \
	cp $(BIN) "$$root/bin/steelgrad"; \
	cp $(LIB) "$$root/lib/libsteelgrad.a"; \
	cp $(SO) "$$root/lib/libsteelgrad.so.$(SO_VERSION)"; \
	ln -sf libsteelgrad.so.$(SO_VERSION) "$$root/lib/$(SO_NAME)"; \
	ln -sf $(SO_NAME) "$$root/lib/libsteelgrad.so"; \
	for d in $(INC_DIRS); do mkdir -p "$$root/include/steelgrad/$$d"; cp $$d/*.h "$$root/include/steelgrad/$$d/"; done; \
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
	  'Name: steelgrad' 'Description: deep learning for steel surface inspection (C11)' 'Version: $(SO_VERSION)' \
	  'Cflags: -I$${includedir}/steelgrad -pthread' 'Libs: -L$${libdir} -lsteelgrad' 'Libs.private: -lm -pthread' \
	  > "$$root/lib/pkgconfig/steelgrad.pc"; \
	echo "installed steelgrad $(SO_VERSION) under $$root"

tests: test-deps $(TEST_BIN) $(BIN)
# Keep the suites' objects: rebuilding them all after every link is slow.
.SECONDARY: $(TEST_SRC:%.c=$(BUILD)/obj/%.o) $(TEST_LIB_OBJ)

# Installs the Check library when it is missing (SG_NO_INSTALL=1: only says how).
# Only the test targets depend on it: make, make demo and make bench never install.
test-deps:
	@CC="$(CC)" sh tests/deps.sh

# Every suite runs even if one fails; tests/run.sh prints the totals.
test: tests
	@SG_BIN="$(strip $(SG_RUNNER) $(BIN))" SG_RUNNER="$(SG_RUNNER)" sh tests/run.sh $(TEST_BIN)

# Cross builds run under qemu-user: the library, the CLI and every suite built
# by Debian's cross compiler into build-<arch>/ and run by qemu (tests/cross.sh;
# it installs nothing: `sh tests/cross-deps.sh aarch64` does, .ci/run calls it).
# SUITES='digest kernels' runs a subset; test-riscv has no Check for the target
# (bookworm has no riscv64 packages), so it checks the digests through the CLI.
test-arm:
	@SUITES="$(SUITES)" sh tests/cross.sh aarch64
test-riscv:
	@sh tests/cross.sh riscv64
# The x86-64 build on a CPU without AVX (qemu's Westmere): `info` names scalar
# and the demo digests match (tests/digest.sh).
test-oldcpu: $(BIN)
	@sh tests/cross.sh oldcpu

# docs/CLI.md from the --help texts (tests/test_cli_options.c checks they agree).
cli-doc: $(BIN)
	sh tests/cli_doc.sh $(BIN) > docs/CLI.md.tmp && mv docs/CLI.md.tmp docs/CLI.md

# The MPI tests: an MPI build in build-mpi (MPI objects never mix with the
# default build's), then mpirun runs of `steelgrad train` compared with cmp.
test-mpi:
	$(MAKE) MPI=1 BUILD=build-mpi all
	@SG_BIN=build-mpi/steelgrad sh tests/mpi/run.sh

# ASan slows the suite ~5x: Check's per-test timeouts are scaled to match.
# Two suites at a time (tests/run.sh: SG_TEST_JOBS): sanitized suites are slow and mostly one
# thread; the slowest start first (SG_TEST_FIRST), so none runs on alone at the end.
SAN_FIRST := test_models test_infer_memory test_cli test_kernels test_kernels_data test_kernels_ew test_explain
sanitize:
	SG_TEST_FIRST="$(SAN_FIRST)" CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-6} SG_TEST_JOBS=$${SG_TEST_JOBS:-2} $(MAKE) BUILD=build-san OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	        LDFLAGS="-fsanitize=address,undefined" test

# Mutation testing (tests/mutate/): each mutant of tests/mutate/mutants.txt is
# applied to a clean copy of the committed tree, built and run against the
# suites; prints the kill rate and every survivor. Never part of `make test`.
# MUTANTS='1-5,9' or MUTANTS='optim/|pool' selects a subset.
mutate:
	@MUTANTS="$(MUTANTS)" CC="$(CC)" sh tests/mutate/mutate.sh

demo: $(BIN)
	$(BIN) demo --out runs/demo

bench: $(BENCH_BIN) $(BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done

# libFuzzer targets (clang): every reader of untrusted bytes has one in fuzz/.
# `make fuzz-run FUZZ_SECONDS=60` runs each for that long on its seed corpus
# (fuzz/corpus/<target>/, seeded from the committed test files).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined

fuzz:
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) OPT="$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link" build-fuzz/libsteelgrad.a
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) fuzz-bins

fuzz-bins: $(FUZZ_BIN)

build-fuzz/fuzz_%: fuzz/fuzz_%.c build-fuzz/libsteelgrad.a
	$(FUZZ_CC) -std=c11 -D_POSIX_C_SOURCE=200809L -I. $(FP_FLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libsteelgrad.a -lm -pthread

fuzz-run: fuzz
	@sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

clean:
	rm -rf build build-san build-fuzz build-clang build-werror build-mpi build-aarch64 build-riscv64

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
-include $(shell find $(BUILD)/pic -name '*.d' 2>/dev/null)
