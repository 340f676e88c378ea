#!/usr/bin/env bash
# Measures the workbook's feedback loop, as a learner feels it, and compares it with the targets
# of the design (architecture.md). A benchmark, not a test: it reports, it never fails a build.
#
#   shared/bench/feedback-loop.sh [-n RUNS] [--verify] [NN ...]   (default: labs 14 01 09, 5 runs)
#   shared/bench/feedback-loop.sh --green [-n RUNS] [NN ...]        (default: every lab, 3 runs)
#
# For each lab, in a temporary copy of the repo (your files are never touched):
#   after edit : `./jbang workbook@. test NN` right after a one-line change to the exercise file
#                (JBang recompiles the lab and the shared sources it uses)
#   unchanged  : the same command again, nothing changed (JBang's cache hit)
#   direct     : `./jbang labs/NN-*/XTest.java` after an edit, without the workbook tool; these
#                runs also say what drawing the story page added (WORKBOOK_STORY_TIMING)
#   peak RSS   : the most memory a run held: its process tree (JBang, a test JVM) plus the warm
#                runner's tree (the daemon and a broker it started), when one serves the run
#   watch      : `./jbang workbook@. watch NN` kept running; from a save to its next verdict line
# Then each figure that has a goal in the feedback-loop issue, next to that goal.
# With --green, the loop at the END of a lab instead: for each lab, `test NN` after an edit on the
# starter (red), then with the solution laid over (green), warm, each against the green-run goal
# (3 s; lab 16, which starts a browser, 8 s).
# With --verify, also the time of `./jbang workbook@. verify NN...`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=; do_verify=false; green=false; labs=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs=$2; shift 2 ;;
    --verify) do_verify=true; shift ;;
    --green) green=true; shift ;;
    [0-9][0-9]) labs+=("$1"); shift ;;
    *) echo "Usage: $0 [-n RUNS] [--verify] [NN ...]   (e.g. $0 -n 5 01 08)" >&2; exit 2 ;;
  esac
done
if $green; then
  runs=${runs:-3}
  [ ${#labs[@]} -gt 0 ] || labs=($(cd "$root/labs" && ls -d [0-9][0-9]-* | cut -c1-2))
else
  runs=${runs:-5}
  [ ${#labs[@]} -gt 0 ] || labs=(14 01 09)
fi

work=$(mktemp -d -t workbook-bench-XXXX)
# The warm runner started in the copy stops with the benchmark: nothing outlives it.
trap '(cd "$work" && ./jbang workbook@. daemon stop >/dev/null 2>&1); rm -rf "$work"' EXIT
cp -r "$root/shared" "$root/jbang" "$root/jbang-catalog.json" "$work/"
mkdir -p "$work/labs" "$work/solutions"
for n in "${labs[@]}"; do
  d=$(cd "$root" && ls -d labs/"$n"-* 2>/dev/null | sed -n 1p)
  [ -n "$d" ] || { echo "No lab $n in labs/." >&2; exit 2; }
  cp -r "$root/$d" "$work/labs/"
  [ -d "$root/solutions/${d#labs/}" ] && cp -r "$root/solutions/${d#labs/}" "$work/solutions/"
done
cd "$work"; git init -q . && git add -A && git -c user.email=b@b -c user.name=bench commit -qm bench

now_ms() { date +%s%3N; }

# Runs a command in its own process group; prints "<ms> <peak MB of the group>". Its output goes
# to $work/last.log.
measure() {
  local start end peak=0 pid rss
  start=$(now_ms)
  setsid "$@" >"$work/last.log" 2>&1 </dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    # ps fails when the group has just ended; that must not end the benchmark (pipefail, set -e).
    rss=$(ps -o rss= --sid "$pid" 2>/dev/null | awk '{s+=$1} END {print s+0}' || true)
    rss=${rss:-0}
    [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 0.1
  done
  wait "$pid" || true
  end=$(now_ms)
  echo "$((end - start)) $((peak / 1024))"
}

# The warm runner (and a broker it started) holds a lab's memory between runs: its whole tree, in MB.
daemon_mb() {
  local pid; pid=$(awk '{print $3}' .workbook/daemon/port 2>/dev/null || true)
  [ -n "$pid" ] || { echo 0; return; }
  ps -eo pid=,ppid=,rss= | awk -v root="$pid" '{p[$1]=$2; r[$1]=$3} END {
    for (q in p) { x=q; while (x != "" && x != root && x in p && x != p[x]) x=p[x]; if (x == root) s+=r[q] } print int(s/1024) }'
}

secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

edit() { # a one-line change a learner might make: a new comment line, different every time
  local f; f=$(grep -l "TODO 1" "$1"/*.java | grep -v Test.java | sed -n 1p)
  echo "// edited at $(now_ms)" >> "$f"
}

printf 'Machine: %s cores, %s, %s\n' "$(nproc)" "$(java -version 2>&1 | sed -n 1p)" "$(uname -sm)"
printf 'Runs per figure: %s (medians; first run of each lab discarded as warm-up)\n\n' "$runs"
# Starts watch, then times N saves: from the edit to the next "... in X s. Watching" line.
watch_ms() {
  local n=$1 d=$2 log="$work/watch-$1.log" pid seen i t0 deadline out=()
  setsid ./jbang workbook@. watch "$n" >"$log" 2>&1 </dev/null &
  pid=$!
  deadline=$(( $(now_ms) + 300000 ))
  until grep -q "Watching" "$log" 2>/dev/null || [ "$(now_ms)" -gt "$deadline" ]; do sleep 0.05; done
  for i in $(seq "$runs"); do
    seen=$(grep -c "Watching" "$log")
    t0=$(now_ms); edit "$d"
    deadline=$(( t0 + 120000 ))
    until [ "$(grep -c "Watching" "$log")" -gt "$seen" ] || [ "$(now_ms)" -gt "$deadline" ]; do sleep 0.02; done
    out+=($(( $(now_ms) - t0 )))
    sleep 0.5
  done
  kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  printf '%s\n' "${out[@]}" | median
}

# The end of a lab: red runs on the starter, then green runs with the solution laid over (its
# mistakes/ and notes stay out, as verify lays it), each after a one-line edit, warm.
if $green; then
  declare -A RED GREEN
  printf '%-5s %16s %16s %10s  %s\n' lab "starter (red)" "solution (green)" goal verdict
  for n in "${labs[@]}"; do
    d=$(ls -d labs/"$n"-* | sed -n 1p); s="solutions/${d#labs/}"
    f=$(basename "$(grep -l "TODO 1" "$d"/*.java | grep -v Test.java | sed -n 1p)")
    # A runner of its own for each lab: one runner kept across labs carries the threads, classes and
    # heap earlier labs left, and made later labs look slower than a learner sees them.
    # The first run after that is cold and starts the lab's runner in the background: the runs
    # measured start once it is up (and has run the lab once), as a learner's next runs would.
    ./jbang workbook@. daemon stop >/dev/null 2>&1 </dev/null || true
    ./jbang workbook@. test "$n" >/dev/null 2>&1 </dev/null || true   # warm-up, cold
    for _ in $(seq 600); do [ -f .workbook/daemon/port ] && break; sleep 0.2; done
    ./jbang workbook@. test "$n" >/dev/null 2>&1 </dev/null || true   # warm-up, through the runner
    r=(); g=()
    for _ in $(seq "$runs"); do
      echo "// edited at $(now_ms)" >> "$d/$f"; read -r ms _ < <(measure ./jbang workbook@. test "$n"); r+=("$ms")
    done
    (cd "$s" && find . -path ./mistakes -prune -o -type f ! -name equivalent-mutants.txt -print) |
      while read -r x; do mkdir -p "$d/$(dirname "$x")"; cp "$s/$x" "$d/$x"; done
    ./jbang workbook@. test "$n" >/dev/null 2>&1 </dev/null || true   # warm-up on the solution
    for _ in $(seq "$runs"); do
      echo "// edited at $(now_ms)" >> "$d/$f"; read -r ms _ < <(measure ./jbang workbook@. test "$n"); g+=("$ms")
      grep -q "passed, 0 failed\|all passed\| 0 failed" "$work/last.log" || echo "  (lab $n: the solution's run was not green; see the run's output)" >&2
    done
    rm_=$(printf '%s\n' "${r[@]}" | median); gm=$(printf '%s\n' "${g[@]}" | median)
    limit=3000; [ "$n" = 16 ] && limit=8000
    verdict=over; [ "$gm" -le "$limit" ] && verdict=met
    printf '%-5s %14s s %14s s %8s s  %s\n' "$n" "$(secs "$rm_")" "$(secs "$gm")" "$(secs "$limit")" "$verdict"
  done
  exit 0
fi

declare -A AFTER UNCHANGED WATCH PEAK PAGE
printf '%-5s %-8s %12s %12s %12s %10s %10s\n' lab broker "after edit" unchanged direct "peak RSS" "watch save"
for n in "${labs[@]}"; do
  d=$(ls -d labs/"$n"-* | sed -n 1p)
  test_file=$(ls "$d"/*Test.java | sed -n 1p)
  broker=no; grep -q "workbook/kafka" "$d"/*.java && broker=yes
  ./jbang workbook@. test "$n" >/dev/null 2>&1 </dev/null || true   # warm-up: resolve and build once
  a=(); u=(); x=(); peaks=(); pages=()
  for _ in $(seq "$runs"); do
    edit "$d"; read -r ms mb < <(measure ./jbang workbook@. test "$n"); a+=("$ms"); peaks+=("$((mb + $(daemon_mb)))")
    read -r ms mb < <(measure ./jbang workbook@. test "$n"); u+=("$ms"); peaks+=("$((mb + $(daemon_mb)))")
    edit "$d"; read -r ms mb < <(WORKBOOK_STORY_TIMING=1 measure ./jbang "$test_file"); x+=("$ms"); peaks+=("$mb")
    # What drawing the story page added to that run (LabTests prints it with WORKBOOK_STORY_TIMING).
    p=$(sed -n 's/^(story page: \([0-9.]*\) ms.*/\1/p' "$work/last.log" | sed -n 1p)
    [ -n "$p" ] && pages+=("$(awk -v x="$p" 'BEGIN { printf "%d", x + 0.5 }')")
  done
  pm=$(printf '%s\n' "${pages[@]}" | median); PAGE[$n]=$pm
  am=$(printf '%s\n' "${a[@]}" | median); um=$(printf '%s\n' "${u[@]}" | median)
  xm=$(printf '%s\n' "${x[@]}" | median); pk=$(printf '%s\n' "${peaks[@]}" | sort -n | tail -1)
  wm=$(watch_ms "$n" "$d")
  AFTER[$n]=$am; UNCHANGED[$n]=$um; WATCH[$n]=$wm; PEAK[$n]=$pk
  printf '%-5s %-8s %10s s %10s s %10s s %7s MB %8s s\n' "$n" "$broker" \
    "$(secs "$am")" "$(secs "$um")" "$(secs "$xm")" "$pk" "$(secs "$wm")"
done

# The goals of the feedback-loop issue, for the labs measured above.
goal() { # name, measured ms (may be empty), goal ms
  [ -n "$2" ] || return 0
  local verdict=over; [ "$2" -le "$3" ] && verdict=met
  printf '  %-38s %8s s   goal %5s s   %s\n' "$1" "$(secs "$2")" "$(secs "$3")" "$verdict"
}
echo; echo "Against the goals (medians):"
goal "test 14 after an edit (no broker)" "${AFTER[14]:-}" 1500
goal "test 01 after an edit" "${AFTER[01]:-}" 3000
goal "test 09 unchanged (broker)" "${UNCHANGED[09]:-}" 4000
goal "watch 14, save to result" "${WATCH[14]:-}" 800
goal "watch 01, save to result" "${WATCH[01]:-}" 1500
goal "watch 09, save to result" "${WATCH[09]:-}" 2000
for n in "${!PEAK[@]}"; do
  verdict=over; [ "${PEAK[$n]}" -le 600 ] && verdict=met
  printf '  %-38s %8s MB  goal   600 MB  %s\n' "peak memory of lab $n's runs" "${PEAK[$n]}" "$verdict"
done
for n in "${!PAGE[@]}"; do
  [ -n "${PAGE[$n]}" ] || continue
  verdict=over; [ "${PAGE[$n]}" -le 50 ] && verdict=met
  printf '  %-38s %8s ms  goal    50 ms  %s\n' "story page added to lab $n's run" "${PAGE[$n]}" "$verdict"
done
if $do_verify; then
  read -r ms mb < <(measure ./jbang workbook@. verify "${labs[@]}")
  printf '\nverify %s: %s s (peak %s MB); goal for all labs on CI: 900 s\n' "${labs[*]}" "$(secs "$ms")" "$mb"
fi
