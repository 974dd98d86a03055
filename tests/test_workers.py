"""Forked collection workers live and die with the parent, promptly and silently.

The signal tests run the real command in a subprocess over a copy of the sample tenant whose
container group lists answer 429 with a long Retry-After, so that collection is still running
(both workers waiting to retry) when the signal arrives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from azaudit.collect.pool import PartResult, WorkerDied, can_fork, run_parts
from azaudit.errors import UsageError
from azaudit.inventory import Inventory
from azaudit.inventory.common import Subscription
from azaudit.transport import RequestCounts
from tests.conftest import ROOT, SAMPLE_TENANT

pytestmark = pytest.mark.skipif(not can_fork(), reason="multi-process collection needs fork (Linux)")


# Long enough that sitting it out is unmistakable, whatever the machine's load: the bounds below
# (PROMPT) are generous for a busy CI machine and still far below it.
RETRY_AFTER = 60
PROMPT = 20


def slow_tenant(tmp_path: Path) -> Path:
    """The sample tenant, except that every container group list asks to be retried in a minute."""
    tenant = tmp_path / "tenant"
    for source in SAMPLE_TENANT.rglob("*.json"):
        target = tenant / source.relative_to(SAMPLE_TENANT)
        target.parent.mkdir(parents=True, exist_ok=True)
        document = json.loads(source.read_text(encoding="utf-8"))
        for interaction in document["interactions"]:
            if "/providers/microsoft.containerinstance/containergroups" in interaction["request"]["url"].lower():
                interaction["response"] = {
                    "status": 429,
                    "headers": {"Retry-After": str(RETRY_AFTER)},
                    "body": {"error": {"code": "TooManyRequests", "message": "try again later"}},
                }
        target.write_text(json.dumps(document), encoding="utf-8")
    return tenant


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Neither gone nor a zombie (a zombie is dead; only its exit status is left to collect)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def threads_of(pid: int) -> int:
    try:
        return len(list(Path(f"/proc/{pid}/task").iterdir()))
    except OSError:
        return 0


def start_audit(tenant: Path, processes: int = 2) -> tuple[subprocess.Popen[str], list[int]]:
    command = ["-m", "azaudit", "subscription", "--replay", str(tenant), "--processes", str(processes)]
    process = subprocess.Popen(
        [sys.executable, "-W", "default", *command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        if processes == 1:  # collecting: the deadline thread and the collection threads run
            assert wait_for(lambda: threads_of(process.pid) >= 3, 20), "collection never started"
        else:
            assert wait_for(lambda: len(children_of(process.pid)) == 2, 20), "the workers never started"
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    workers = children_of(process.pid)
    time.sleep(0.3)  # into their collection: waiting for the Retry-After
    assert process.poll() is None and all(running(w) for w in workers)
    return process, workers


@pytest.mark.parametrize(
    ("send", "code", "line"),
    [
        ("sigterm-parent", 143, "azaudit: terminated (SIGTERM); the audit did not finish and no report was written"),
        ("ctrl-c-group", 130, "azaudit: interrupted; the audit did not finish and no report was written"),
        ("sigkill-parent", -signal.SIGKILL, ""),
    ],
)
def test_a_signal_to_the_parent_ends_the_workers_promptly_and_silently(
    tmp_path: Path, send: str, code: int, line: str
) -> None:
    process, workers = start_audit(slow_tenant(tmp_path))
    try:
        sent = time.monotonic()
        if send == "ctrl-c-group":
            os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        else:
            os.kill(
                process.pid,
                {"sigterm": signal.SIGTERM, "sigint": signal.SIGINT, "sigkill": signal.SIGKILL}[send.split("-")[0]],
            )
        out, err = process.communicate(timeout=PROMPT + 5)
        assert time.monotonic() - sent < PROMPT, "the parent took too long to stop"
        assert wait_for(lambda: not any(running(w) for w in workers), PROMPT), "a worker outlived the parent"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
        for worker in workers:
            if running(worker):
                os.kill(worker, signal.SIGKILL)
    assert process.returncode == code
    assert out == "", "no report on stdout"
    assert err.strip() == line, err  # one line, no traceback (the workers' included), no warning


def test_ctrl_c_in_one_process_does_not_wait_for_a_retry_after(tmp_path: Path) -> None:
    process, _ = start_audit(slow_tenant(tmp_path), processes=1)
    try:
        sent = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=PROMPT + 5)
        assert time.monotonic() - sent < PROMPT, "the audit sat out the Retry-After"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130
    assert err.strip() == "azaudit: interrupted; the audit did not finish and no report was written", err


def where(part: Sequence[Subscription], run_wide: bool) -> PartResult:
    """A job that says which process ran it, over which subscriptions."""
    marker = Subscription(subscription_id=f"{os.getpid()}:{run_wide}", display_name="marker", state="Enabled")
    return PartResult(
        inventory=Inventory(subscriptions=(*part, marker)),
        requests=RequestCounts(total=len(part), challenges=0, peak_in_flight=0, by_kind={}, by_url={}),
        tokens={},
    )


def answer(result: PartResult) -> list[Any]:
    """``[pid, subscription ids, run_wide]`` of a part :func:`where` ran, as its worker sent it."""
    *part, marker = result.inventory.subscriptions
    pid, run_wide = marker.subscription_id.split(":")
    return [int(pid), [s.subscription_id for s in part], run_wide == "True"]


SUBSCRIPTIONS = [Subscription(subscription_id=f"sub-{i}", display_name=f"s{i}", state="Enabled") for i in range(5)]


def test_parts_run_in_forked_workers_and_the_first_collects_run_wide_data() -> None:
    results = run_parts(where, SUBSCRIPTIONS, 2)
    answers = [answer(r) for r in results]
    assert [a[1] for a in answers] == [["sub-0", "sub-2", "sub-4"], ["sub-1", "sub-3"]]
    assert [a[2] for a in answers] == [True, False]
    assert os.getpid() not in {a[0] for a in answers} and len({a[0] for a in answers}) == 2


def test_no_fork_while_a_thread_azaudit_does_not_know_is_running() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="someone-elses")
    thread.start()
    try:
        results = run_parts(where, SUBSCRIPTIONS, 2)
    finally:
        stop.set()
        thread.join()
    answers = [answer(r) for r in results]
    assert answers == [[os.getpid(), [s.subscription_id for s in SUBSCRIPTIONS], True]]


def test_the_transport_watchdog_thread_is_paused_for_the_fork() -> None:
    from azaudit.transport.deadline import _WATCHDOG

    _WATCHDOG.watch(60).finish()  # a request was made: the deadline thread runs
    assert any(t.name == "azaudit-deadlines" for t in threading.enumerate())
    results = run_parts(where, SUBSCRIPTIONS, 2)
    assert os.getpid() not in {answer(r)[0] for r in results}, "forked, not collected here"
    _WATCHDOG.watch(0.01)  # and it starts again when next needed
    assert wait_for(lambda: any(t.name == "azaudit-deadlines" for t in threading.enumerate()), 2)


def test_a_worker_failure_is_raised_in_the_parent_and_a_vanished_worker_is_one_clear_error() -> None:
    def refuses(part: Sequence[Subscription], run_wide: bool) -> PartResult:
        raise UsageError("no such subscription")

    def vanishes(part: Sequence[Subscription], run_wide: bool) -> PartResult:
        os._exit(9)

    with pytest.raises(UsageError, match="no such subscription"):
        run_parts(refuses, SUBSCRIPTIONS, 2)
    with pytest.raises(WorkerDied, match="exit code 9"):
        run_parts(vanishes, SUBSCRIPTIONS, 2)


def test_a_part_s_inventory_reaches_the_parent_unchanged(sample_audit: Any) -> None:
    """A worker sends its inventory as msgpack inside its answer (decoded in one step, with no
    JSON copy held beside it): every record, error and note arrives as collected."""
    inventory = sample_audit.inventory

    def collected(part: Sequence[Subscription], run_wide: bool) -> PartResult:
        counts = RequestCounts(total=0, challenges=0, peak_in_flight=0, by_kind={}, by_url={})
        return PartResult(inventory=inventory, requests=counts, tokens={})

    results = run_parts(collected, SUBSCRIPTIONS, 2)
    assert len(results) == 2 and all(r.inventory == inventory for r in results)
    assert inventory.errors and inventory.notes  # the sample has both
