# Palisade: one non-recursive Makefile.  Targets: all (build/palisade), check, asan, fuzz,
# bench, format, format-check, clean.  Every object lands under $(BUILD).

BUILD    ?= build
CC       ?= cc
PKGS     := yaml-0.1 jansson
# The system side (dataplane, agent, lab) also links these; the pure core does not.
SYS_PKGS := libnftables libevent libnftnl libmnl libnetfilter_conntrack libnetfilter_log libpcap libcurl
# Recursively expanded on purpose: `make check` installs missing packages first (scripts/deps.sh)
# and the sub-make that builds reads pkg-config afterwards.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
SYS_LIBS   = $(shell pkg-config --libs $(SYS_PKGS))
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
            -Wformat=2 -Wvla
OPT      ?= -O2 -g
CFLAGS   ?= $(OPT)
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -Isrc $(PKG_CFLAGS) -MMD -MP
LDLIBS   := $(PKG_LIBS) -lm

LIB_SRC  := $(sort $(wildcard src/lib/*.c))
SYS_SRC  := $(sort $(wildcard src/dataplane/*.c src/agent/*.c src/lab/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
SYS_OBJ  := $(SYS_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# Fuzz targets double as regression replayers: the same source linked with a small main
# that feeds every file of a corpus directory through LLVMFuzzerTestOneInput.
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)

.PHONY: all check test asan fuzz bench format format-check clean tests demo
all: $(BUILD)/palisade

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libpalisade.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The system side: kernel and daemon code, kept out of the pure core's library.
$(BUILD)/libpalisade-sys.a: $(SYS_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/palisade: $(CLI_OBJ) $(BUILD)/libpalisade-sys.a $(BUILD)/libpalisade.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(SYS_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libpalisade-sys.a $(BUILD)/libpalisade.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS) $(SYS_LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libpalisade-sys.a $(BUILD)/libpalisade.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(SYS_LIBS)

$(BUILD)/replay/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay_main.o $(BUILD)/libpalisade.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/fuzz/replay_main.o: tests/fuzz/replay_main.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

tests: $(BUILD)/palisade $(TEST_BIN) $(REPLAY_BIN) $(BUILD)/bench/tcp_rr

# The README's test command.  tests/run.sh runs unit, golden, conformance, fuzz-regression
# and (as root) integration tests, then the same suite once more under ASan+UBSan, and ends
# with one line "N passed, N failed".
check:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory tests
	@tests/run.sh --build $(BUILD) $(if $(NO_ASAN),,--asan)
test: check

# The unit, golden and conformance tests built with AddressSanitizer and
# UndefinedBehaviorSanitizer, in their own build directory.
asan:
	$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
		OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" tests
	@tests/run.sh --build build-asan --sanitized

# libFuzzer targets, each run for FUZZ_SECONDS (default 60).  Crashes are written to
# tests/fuzz/regress/<target>/ so that `make check` replays them from then on.
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
		OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
		$(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/tests/fuzz/%.o) build-fuzz/libpalisade.a
	@scripts/deps.sh
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

bench: $(BUILD)/palisade $(BENCH_BIN)
	@bench/run.sh $(BUILD)

# The main job: what Palisade does, end to end, on this machine (as root): the article's three
# layers on a lab of two nodes, each step checked (examples/demo.sh; exit 1 if one fails).
demo:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory $(BUILD)/palisade
	@examples/demo.sh $(BUILD)/palisade

FORMAT_FILES = $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/fuzz/*.c bench/*.c)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format: ok"

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
