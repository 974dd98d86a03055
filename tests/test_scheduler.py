"""The scheduler's own threads (azaudit/collect/scheduler.py): a task's answer or failure reaches
the calling thread, and however the run ends, no collection thread is left behind (a process
forks its collection workers only when no other thread runs)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from azaudit import lifecycle
from azaudit.collect import scheduler
from azaudit.collect.scheduler import run_tasks
from azaudit.collect.tasks import Collected, Task
from azaudit.errors import AzauditError
from azaudit.inventory.coverage import Dataset


def _task(name: str, run: object) -> Task:
    return Task(Dataset.VAULTS, "sub", name, run)  # type: ignore[arg-type]


def test_answers_failures_and_follow_ups_reach_the_calling_thread() -> None:
    def broken() -> Collected:
        raise ValueError("an odd answer")

    def leaf() -> Collected:
        return Collected(records=["leaf"])

    def root() -> Collected:
        return Collected(records=["root"], followups=[_task(f"leaf{i}", leaf) for i in range(20)])

    seen: list[tuple[int, int]] = []
    outcome = run_tasks(
        [_task("root", root), _task("broken", broken)],
        lambda r: [],
        concurrency=4,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert sorted(map(str, outcome.records)) == ["leaf"] * 20 + ["root"]
    assert [e.operation for e in outcome.errors] == ["broken"]
    assert seen[-1] == (22, 22)
    assert not any(t.name.startswith("azaudit_") for t in threading.enumerate())


def test_an_azaudit_error_in_a_task_ends_the_run() -> None:
    class Refused(AzauditError):
        pass

    def refused() -> Collected:
        raise Refused("no")

    with pytest.raises(Refused):
        run_tasks([_task("refused", refused)], lambda r: [], concurrency=2)
    assert not any(t.name.startswith("azaudit_") for t in threading.enumerate())


def test_a_ctrl_c_inside_a_thread_start_leaves_no_thread_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C can land while a collection thread starts (start() waits for it to run): that
    thread is stopped and joined with the others, and the waits they sit in are cut short."""
    started: list[threading.Thread] = []

    class CutShort(threading.Thread):
        def start(self) -> None:
            super().start()
            started.append(self)
            if len(started) == 2:
                raise KeyboardInterrupt

    def waits() -> Collected:
        lifecycle.wait(60)  # a Retry-After
        return Collected()

    raised: list[BaseException] = []

    def run() -> None:
        try:
            run_tasks([_task(f"t{i}", waits) for i in range(5)], lambda r: [], concurrency=4)
        except BaseException as exc:
            raised.append(exc)

    caller = threading.Thread(target=run)  # a plain thread; only the scheduler's are CutShort
    monkeypatch.setattr(scheduler.threading, "Thread", CutShort)
    caller.start()
    caller.join(10)
    monkeypatch.undo()
    assert not caller.is_alive(), "the interrupted run did not end"
    assert len(raised) == 1 and isinstance(raised[0], KeyboardInterrupt)
    assert len(started) == 2 and not any(t.is_alive() for t in started)


def test_a_ctrl_c_while_a_thread_is_launched_but_not_yet_running_still_joins_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """start() launches the thread, then waits for it to run; a Ctrl-C in that wait can leave a
    thread whose ident is set but that has not told start() it runs yet, which join() refuses
    ("cannot join thread before it is started"): the RuntimeError took the Ctrl-C's place and the
    threads after it were not joined. The window is held open here (Python 3.11 to 3.13 set the
    ident, then the native id, then the started flag)."""
    launched = threading.Event()
    release = threading.Event()
    cut: list[threading.Thread] = []

    class Interrupted(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            if not cut:  # the first thread's start(): a Ctrl-C once the thread is launched
                cut.append(threading.current_thread())
                launched.wait(10)
                raise KeyboardInterrupt
            return super().wait(timeout)

    class HeldOpen(threading.Thread):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self._started = Interrupted()  # type: ignore[attr-defined]

        def _set_native_id(self) -> None:
            launched.set()  # the ident is set
            release.wait(10)  # not yet running
            super()._set_native_id()  # type: ignore[misc]

    raised: list[BaseException] = []

    def run() -> None:
        try:
            run_tasks([_task(f"t{i}", Collected) for i in range(3)], lambda r: [], concurrency=2)
        except BaseException as exc:
            raised.append(exc)

    def let_it_run() -> None:
        if launched.wait(10):
            time.sleep(0.3)  # meanwhile the interrupted run stops its threads
        release.set()

    caller, releaser = threading.Thread(target=run), threading.Thread(target=let_it_run)
    monkeypatch.setattr(scheduler.threading, "Thread", HeldOpen)  # threading.Thread itself
    releaser.start()
    caller.start()
    caller.join(10)
    monkeypatch.undo()
    release.set()
    releaser.join(10)
    assert not caller.is_alive(), "the interrupted run did not end"
    assert len(raised) == 1 and type(raised[0]) is KeyboardInterrupt, raised
    assert not any(t.name.startswith("azaudit_") and t.is_alive() for t in threading.enumerate())


def test_the_ready_tasks_furthest_ahead_start_first() -> None:
    """Task.ahead: a ready task with more ahead starts before those that came before it, which
    keep their order among themselves (the image joins, which send no request and hand out the
    registry lookups, waited in that order behind ~1,000 single reads, and their lookups ended the
    run with a few requests in flight)."""
    ran: list[str] = []
    handed_out = threading.Event()

    def noting(name: str) -> object:
        def run() -> Collected:
            ran.append(name)
            if name == "gate":  # the one thread waits until every task is ready
                assert handed_out.wait(10)
            return Collected()

        return run

    def initial() -> Iterator[Task]:
        yield Task(Dataset.VAULTS, "sub", "gate", noting("gate"), ahead=9)  # type: ignore[arg-type]
        for name, ahead in (("leaf1", 0), ("join", 2), ("leaf2", 0), ("lower", 1), ("join2", 2)):
            yield Task(Dataset.VAULTS, "sub", name, noting(name), ahead=ahead)  # type: ignore[arg-type]
        handed_out.set()

    outcome = run_tasks(initial(), lambda r: [], concurrency=1)
    assert not outcome.errors
    assert ran == ["gate", "join", "join2", "lower", "leaf1", "leaf2"]


def test_only_the_image_joins_go_ahead() -> None:
    """The image joins (no request) go ahead of the tasks that came before them; every task that
    sends a request keeps the order it came in, the image lookups and the lists included: raised,
    they bunched the registries' and vaults' TLS handshakes and heavier reads at the start of the
    run, every request slower there, for a longer run."""
    from types import SimpleNamespace

    from azaudit.collect import aci, acr, images, keyvault, monitor

    clients: Any = None
    sub: Any = SimpleNamespace(id="/subscriptions/s", subscription_id="s", name="s")
    resource: Any = SimpleNamespace(
        id="/subscriptions/s/x", subscription_id="s", name="x", login_server="x.azurecr.io", resource_group="rg"
    )
    sending = [monitor.diagnostic_settings(clients, resource), images.instance_view(clients, resource)]
    sending += [keyvault.key_detail(clients, resource, "k"), keyvault.vaults(clients, sub)]
    sending += [keyvault.keys(clients, resource), keyvault.secrets(clients, resource)]
    sending += [acr.registries(clients, sub), aci.container_groups(clients, sub)]
    sending.append(images.lookup(clients, resource, "repo", "tag", None))
    joins = [images.group_images(clients, resource), images.registry_images(clients, resource)]
    assert {t.ahead for t in sending} == {0}
    assert {t.ahead for t in joins} == {images.JOIN_AHEAD} and images.JOIN_AHEAD > 0
