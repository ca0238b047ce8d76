# Benchmarks (docs/BENCHMARKS.md).  Included from the Makefile; never part of `make check`.
#
#   make bench          every benchmark: bench-idle, then bench-chat (about 25 minutes)
#   make bench-idle     idle WebSocket connections: how many, bytes each, accept to first byte
#   make bench-chat     the chat fan-out: issues 4, 5, 3 and 6 (bench/chat.py all)
#   make bench-chat4 / bench-chat5 / bench-chat3 / bench-chat6   one issue's figures
#   make bench-tls      encrypted access: idle wss and ssh callers (memory, server CPU per arrival),
#                       wss handshakes per second, the fan-out over wss against ws (bench/chat.py tls)
#   make bench-cluster  several servers, one BBS (issue 12): one room of 1,000 over 1, 2 and 3
#                       Carrier nodes on one Redis, beside two linked ngIRCd servers and two
#                       Socket.IO servers on Redis (bench/cluster.py; about 12 minutes)
#   make bench-ops      the metrics page, histograms, statement timing, loop lag; a live scrape
#   make bench-quick    fan-out vs ngircd and the Node ws peer, 5 runs each interleaved (~90 s); last
#                       line "fanout ratio carrier/ngircd=X carrier/node-ws=Y cpu-per-delivery ngircd/carrier=Z"
#   CARRIER_BASELINE=PATH make bench-quick   the same with another Carrier binary beside it
#   CARRIER_BASELINE=PATH python3 bench/chat.py ab   this build against that one, interleaved
#   python3 bench/ir.py BEFORE AFTER     instructions per delivery under callgrind (~10 min)
#   python3 bench/chat.py rooms          50 rooms of 20 beside one room of 1,000
#   python3 bench/chat.py issue6 --parts throughput,latency,idle,storm,slow   one part at a time
#   python3 bench/chat.py profile          perf record -g on Carrier during a throughput run
#   python3 bench/chat_report.py issue6    the tables of docs/BENCHMARKS.md from the JSON
#   make bench-chat BENCH_CHAT_ARGS="--repeats 5 --duration 10"   (bench/chat.py --help)
#   make bench-idle BENCH_IDLE_ARGS="--counts 1000,20000 --repeats 1"   (bench/idle.py --help)
#
# Benchmarks always use the optimised build (build/), whatever SANITIZE says.

BENCH_DIR := build/bench
BENCH_CFLAGS = -std=c11 -D_GNU_SOURCE -O2 -g $(WARN)
BENCH_IDLE_ARGS ?=

.PHONY: bench-ops bench-tools bench-idle bench-peers bench-chat bench-chat3 bench-chat4 bench-chat5 \
	bench-chat6 bench-tls bench-cluster
BENCH_CHAT_ARGS ?=
bench-tools: $(BENCH_DIR)/wsload $(BENCH_DIR)/chatload $(BENCH_DIR)/malloc_count.so

$(BENCH_DIR)/chatload: bench/chatload.c bench/tlsclient.c bench/tlsclient.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(shell pkg-config --cflags libssl libcrypto) -o $@ $(filter %.c,$^) \
	    $(shell pkg-config --libs libssl libcrypto)

$(BENCH_DIR)/wsload: bench/wsload.c bench/tlsclient.c bench/tlsclient.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(shell pkg-config --cflags libssl libcrypto) -o $@ $(filter %.c,$^) \
	    $(shell pkg-config --libs libssl libcrypto)

$(BENCH_DIR)/malloc_count.so: bench/malloc_count.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -fPIC -shared -o $@ $<

bench-idle: bench-tools
	@$(MAKE) --no-print-directory BUILD=build SANITIZE= build/carrier web
	python3 bench/idle.py $(BENCH_IDLE_ARGS)

bench-peers:
	@bench/peers/setup.sh

bench-chat: bench-tools bench-peers
	@$(MAKE) --no-print-directory BUILD=build SANITIZE= build/carrier
	python3 bench/chat.py all $(BENCH_CHAT_ARGS)

bench-chat3 bench-chat4 bench-chat5 bench-chat6: bench-chat%: bench-tools bench-peers
	@$(MAKE) --no-print-directory BUILD=build SANITIZE= build/carrier
	python3 bench/chat.py issue$* $(BENCH_CHAT_ARGS)

# Encrypted access (docs/BENCHMARKS.md, issue 13): idle wss and ssh callers, the rate of
# wss handshakes, and the chat fan-out over wss against plain ws.
BENCH_TLS_IDLE_ARGS ?= --counts 1000,5000 --repeats 3 --latency-conns 500
BENCH_SSH_IDLE_ARGS ?= --counts 100,300 --repeats 3
bench-tls: bench-tools
	@$(MAKE) --no-print-directory BUILD=build SANITIZE= build/carrier web
	python3 bench/idle.py --transport ws $(BENCH_TLS_IDLE_ARGS) --json build/bench/idle-ws-13.json
	python3 bench/idle.py --transport wss $(BENCH_TLS_IDLE_ARGS)
	/usr/bin/python3 bench/idle.py --transport ssh $(BENCH_SSH_IDLE_ARGS)   # Debian's paramiko
	python3 bench/chat.py tls

# Several servers, one BBS (docs/BENCHMARKS.md, issue 12).
BENCH_CLUSTER_ARGS ?=
bench-cluster: bench-tools bench-peers
	@$(MAKE) --no-print-directory BUILD=build SANITIZE= build/carrier
	python3 bench/cluster.py $(BENCH_CLUSTER_ARGS)

# What running for real costs on the loop: the metrics page, histograms, the clock
# reads around statements, the loop-lag tick; then a live scrape with idle callers.
$(BENCH_DIR)/ops_bench: bench/ops_bench.c build/libcarrier.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< build/libcarrier.a $(LDLIBS)

BENCH_OPS_ARGS ?=
bench-ops:
	@$(MAKE) --no-print-directory BUILD=build SANITIZE= build/carrier build/libcarrier.a
	@$(MAKE) --no-print-directory BUILD=build SANITIZE= $(BENCH_DIR)/ops_bench
	$(BENCH_DIR)/ops_bench 1 2
	$(BENCH_DIR)/ops_bench 64 4
	node bench/scrape.mjs $(BENCH_OPS_ARGS)

bench: bench-idle bench-chat

bench-quick: bench-tools bench-peers
	@$(MAKE) --no-print-directory BUILD=build SANITIZE= build/carrier
	@python3 bench/chat.py quick
