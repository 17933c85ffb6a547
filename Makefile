# The two commands README.md opens with, and a few helpers.
.PHONY: demo test bench sandbox sandbox-down lint

# Build choreoctl and the sandbox, start three clusters, show the plan bound to them.
demo:
	tests/sandbox/demo.sh

# Every test: unit, CLI, malformed-profile corpus, snapshots, and the sandbox tests against
# real kube-apiservers and helm (the sandbox binaries are built first, or reused from cache).
test: lint
	tests/sandbox/build.sh >/dev/null
	cargo test --all-targets

# Formatting, clippy, and the committed stand-in charts against their generator.
lint:
	python3 tests/charts/gen.py --check
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

bench:
	benches/plan.sh
	benches/install.sh
	benches/module.sh

sandbox:
	tests/sandbox/build.sh

sandbox-down:
	tests/sandbox/sandbox down --name demo
