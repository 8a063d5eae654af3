# Counts the doctests rustdoc will run natively: fenced code blocks in `///` and `//!` doc
# comments whose info string is empty or Rust-flavoured, minus `ignore` and non-Rust blocks.
# Usage: awk -f scripts/count-doctests.awk FILE...
FNR == 1 { open_fence = 0 }
/^[ \t]*\/\/[\/!][ \t]?[ \t]*```/ {
    line = $0
    sub(/^[ \t]*\/\/[\/!][ \t]*```+/, "", line)
    gsub(/[ \t]/, "", line)
    if (open_fence) { open_fence = 0; next }
    open_fence = 1
    if (line == "" || line ~ /^(rust|no_run|should_panic|compile_fail|edition20[0-9][0-9]|test_harness)(,.*)?$/) {
        if (line !~ /ignore/) count++
    }
}
END { print count + 0 }
