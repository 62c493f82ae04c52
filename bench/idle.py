#!/usr/bin/env python3
"""Why were cores idle during a run? (bench/README.md, "Fourteenth round")

Reads the output of

    perf record -a -e sched:sched_switch -e sched:sched_wakeup \
        -e sched:sched_wakeup_new -e sched:sched_migrate_task -o sched.data -- sleep 2
    perf script -i sched.data -F cpu,time,event,trace > sched.txt

(taken while a load runs) and replays the run queues. Every moment a CPU runs its idle
task is put in one class:

  stranded  another CPU has a runnable thread waiting for it (the idle CPU could have run
            that thread; the scheduler did not move it)
  syncing   shoal's group committer is in uninterruptible sleep (its fdatasync)
  waiting   neither: every thread is blocked on something else

It also prints which threads were left waiting while a CPU idled and which thread they
waited behind, where the wakeups placed the threads they woke (on the waker's own CPU or
another, and whether another CPU sat idle at that moment), and how long each thread ran
on each CPU.

Usage: bench/idle.py sched.txt
"""

import collections
import re
import sys

LINE = re.compile(r"\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)")
SWITCH = re.compile(
    r"prev_comm=(.*) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)"
)
WAKEUP = re.compile(r"comm=(.*) pid=(\d+) .*target_cpu=(\d+)")
MIGRATE = re.compile(r"pid=(\d+) .*orig_cpu=(\d+) dest_cpu=(\d+)")


def family(comm):
    """Thread name without its number: `shoal-worker`, `bench-client-`, `swapper/`."""
    return re.sub(r"\d+", "", comm)


def main(path):
    running = {}  # cpu -> pid on it (0: idle), once seen
    queued = collections.defaultdict(set)  # cpu -> runnable pids waiting there
    comm = {}
    state = {}  # pid -> state it left the CPU in ('D', 'S', 'R', ...) or 'run'
    classes = collections.Counter()
    stranded_by = collections.Counter()
    behind = collections.Counter()  # (waiting thread, thread running on its CPU)
    # (waker, wakee, placed on the waker's CPU, another CPU idle at that moment)
    wakeups = collections.Counter()
    occupancy = collections.Counter()
    cpus = set()
    last = None
    for line in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        cpu, t, event, trace = int(m[1]), float(m[2]), m[3], m[4]
        cpus.add(cpu)
        if last is not None and len(running) == len(cpus):
            dt = t - last
            committer = [p for p, c in comm.items() if c == "shoal-commit"]
            for c, pid in running.items():
                occupancy[(c, family(comm.get(pid, "?")))] += dt
                if pid != 0:
                    continue
                waiting = [(o, p) for o, q in queued.items() if o != c for p in q]
                if waiting:
                    classes["stranded"] += dt
                    for o, p in waiting:
                        stranded_by[family(comm.get(p, "?"))] += dt / len(waiting)
                        ahead = family(comm.get(running.get(o, 0), "?"))
                        behind[(family(comm.get(p, "?")), ahead)] += dt / len(waiting)
                elif committer and state.get(committer[0]) == "D":
                    classes["syncing"] += dt
                else:
                    classes["waiting"] += dt
        last = t
        if event == "sched:sched_switch":
            s = SWITCH.search(trace)
            prev, prev_state, nxt = int(s[2]), s[3], int(s[5])
            comm[prev], comm[nxt] = s[1], s[4]
            state[prev], state[nxt] = prev_state[0], "run"
            if prev != 0 and prev_state.startswith("R"):
                queued[cpu].add(prev)  # preempted: still runnable, waits here
            for q in queued.values():
                q.discard(nxt)
            running[cpu] = nxt
        elif event in ("sched:sched_wakeup", "sched:sched_wakeup_new"):
            s = WAKEUP.search(trace)
            pid, target = int(s[2]), int(s[3])
            comm[pid] = s[1]
            # The event is recorded on the waker's CPU, by the waker.
            waker = family(comm.get(running.get(cpu, -1), "?"))
            idle_elsewhere = any(p == 0 for o, p in running.items() if o != cpu)
            wakeups[(waker, family(s[1]), target == cpu, idle_elsewhere)] += 1
            if running.get(target) != pid:
                queued[target].add(pid)
                state[pid] = "R"
        elif event == "sched:sched_migrate_task":
            s = MIGRATE.search(trace)
            pid, src, dst = int(s[1]), int(s[2]), int(s[3])
            if pid in queued[src]:
                queued[src].discard(pid)
                queued[dst].add(pid)
    idle = sum(classes.values())
    print(f"idle CPU-seconds: {idle:.3f}")
    for k, v in classes.most_common():
        print(f"  {k:9} {v:.3f} s ({v / idle:.0%})" if idle else f"  {k} {v:.3f} s")
    print("threads left waiting while a CPU idled:")
    for k, v in stranded_by.most_common(6):
        print(f"  {v:.3f} s {k}")
    print("waiting behind (waiting thread <- thread running on its CPU):")
    for (w, r), v in behind.most_common(8):
        print(f"  {v:.3f} s {w} <- {r}")
    print("wakeups (waker -> wakee: where placed, other CPUs):")
    for (waker, wakee, here, idle_elsewhere), n in wakeups.most_common(10):
        where = "its own CPU" if here else "another CPU"
        other = "one idle" if idle_elsewhere else "all busy"
        print(f"  {n:6} {waker} -> {wakee}: {where}, {other}")
    print("time on each CPU:")
    for (c, k), v in sorted(occupancy.items()):
        if v >= 0.01:
            print(f"  cpu{c} {v:.3f} s {k}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
