# The two commands of the README: `make run` and `make test`.
BUILD ?= build
CTEST_PARALLEL ?= 2

.PHONY: deps configure build run test unit clean

deps:
	@scripts/install-deps.sh

configure: deps
	@[ -f $(BUILD)/build.ninja ] || cmake -S . -B $(BUILD) -G Ninja

build: configure
	cmake --build $(BUILD)

run: build
	@scripts/run.sh $(BUILD)/wharf

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(CTEST_PARALLEL)

unit: build
	cd $(BUILD) && ctest --output-on-failure -R '^[A-Z]'

clean:
	rm -rf $(BUILD)
