# Benchmarks (docs/BENCHMARKS.md).  Included from the Makefile; never part of `make check`.
#
#   make bench          every benchmark (for now: bench-idle)
#   make bench-idle     idle WebSocket connections: how many, bytes each, accept to first byte
#   make bench-quick    a short idle run (one reading each at 1,000 and 5,000)
#   make bench-idle BENCH_IDLE_ARGS="--counts 1000,20000 --repeats 1"   (bench/idle.py --help)
#
# Benchmarks always use the optimised build (build/), whatever SANITIZE says.

BENCH_DIR := build/bench
BENCH_CFLAGS = -std=c11 -D_GNU_SOURCE -O2 -g $(WARN)
BENCH_IDLE_ARGS ?=

.PHONY: bench-tools bench-idle
bench-tools: $(BENCH_DIR)/wsload $(BENCH_DIR)/chatload $(BENCH_DIR)/malloc_count.so

$(BENCH_DIR)/chatload: bench/chatload.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(shell pkg-config --cflags libcrypto) -o $@ $< \
	    $(shell pkg-config --libs libcrypto)

$(BENCH_DIR)/wsload: bench/wsload.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(shell pkg-config --cflags libcrypto) -o $@ $< \
	    $(shell pkg-config --libs libcrypto)

$(BENCH_DIR)/malloc_count.so: bench/malloc_count.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -fPIC -shared -o $@ $<

bench-idle: bench-tools
	@$(MAKE) --no-print-directory BUILD=build SANITIZE= build/carrier web
	python3 bench/idle.py $(BENCH_IDLE_ARGS)

bench: bench-idle

bench-quick: bench-tools
	@$(MAKE) --no-print-directory BUILD=build SANITIZE= build/carrier web
	python3 bench/idle.py --counts 1000,5000 --repeats 1
