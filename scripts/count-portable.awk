# Counts the portable test bodies in tests/portable/*.rs per target. Prints two words:
#   native=N web=M
# N: portable_test!/sim_test! invocations not gated to wasm32, plus plain #[test] functions
#    (which only the native harness runs);
# M: invocations not gated with #[cfg(not(target_arch = "wasm32"))].
# Attributes count whether they stand just above the invocation or inside its braces.
# Usage: awk -f scripts/count-portable.awk tests/portable/*.rs
function tally(attrs) {
    if (attrs ~ /cfg\(not\(target_arch *= *"wasm32"\)\)/) native_only++
    else if (attrs ~ /cfg\(target_arch *= *"wasm32"\)/) web_only++
    else both++
}
FNR == 1 { pre = ""; inside = 0 }
inside {
    if ($0 ~ /^[ \t]*#\[/) { attrs = attrs $0; next }
    if ($0 ~ /fn[ \t]/) { tally(attrs); inside = 0 }
    next
}
/^[ \t]*(portable_test|sim_test)![ \t]*\{/ { attrs = pre; pre = ""; inside = 1; next }
/^[ \t]*#\[test\]/ {
    if (pre !~ /cfg\(target_arch *= *"wasm32"\)/) plain++
    pre = ""
    next
}
/^[ \t]*#\[/ || /^[ \t]*\/\// { pre = pre $0; next }
{ pre = "" }
END { printf "native=%d web=%d\n", both + native_only + plain, both + web_only }
