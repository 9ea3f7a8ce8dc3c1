"""How calls run on the main thread: on a parked helper thread, so that Ctrl-C interrupts
them (tests/python/test_threads.py), and still after a fork."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import Emulator


def run_script(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")
def test_a_forked_child_can_still_make_calls(emulator: Emulator) -> None:
    # The parent's main thread parks a helper thread; the child has only the forking
    # thread, so a call handed to that helper would never run.
    out = run_script(f"""
import os, time, warnings, authgate
warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads, Python 3.12+
client = authgate.Client("cuba", base_url={emulator.base_url!r}, client_id="client", client_secret="secret")
client.password("admin", "admin")
pid = os.fork()
if pid == 0:
    try:
        client.password("admin", "admin")
        os._exit(0)
    except BaseException:
        os._exit(1)
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("child exit", os.waitstatus_to_exitcode(status))
        break
    time.sleep(0.02)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("child hung")
client.password("admin", "admin")
print("parent ok")
""")
    assert out.split("\n")[:2] == ["child exit 0", "parent ok"], out


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="counts threads in /proc")
def test_back_to_back_calls_on_the_main_thread_reuse_one_helper(emulator: Emulator) -> None:
    # Helper threads are not Python threads: count the process's threads by name (Linux
    # cuts it to 15 bytes), so that other short-lived threads do not count.
    out = run_script(f"""
import os, authgate
def helpers():
    names = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{{task}}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass
    return sum(name == "authgate-reques" for name in names)
client = authgate.Client("cuba", base_url={emulator.base_url!r}, client_id="client", client_secret="secret")
tokens = client.password("admin", "admin")
for _ in range(300):
    tokens = client.refresh(tokens)
print(helpers())
""")
    assert out.split() == ["1"], out
