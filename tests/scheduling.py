"""How `make test` shares the tests between its workers (pytest-xdist, `--dist load`).

The transactional tests that are not browser tests mostly wait: on a Celery worker, a broker, a
receiver cut off after its time-out, a subprocess, a backoff. Handed out in the suite's order they
ran together at the end, on both workers at once, and left the two cores a fifth idle: a worker
and its database connection take turns, so one worker uses one core at most. Here a worker is
given one of them only while no other worker has one, so that they run one after the other on
one worker from the start of the run, while the others (`make test` starts one more worker than
there are cores) keep the cores busy.

The workers know which tests these are (the controller sees only test ids): each writes their
ids to a file beside the template database's (tests/template_db.py) when it has collected, and
the controller reads it when it starts handing tests out, once every worker has collected. Without
the file the order is xdist's own.
"""

import json
import os
from pathlib import Path

from xdist.scheduler import LoadScheduling

WAITING_IDS = "waiting-tests.json"


def waiting_ids_write(shared_dir: Path, node_ids: list[str]) -> None:
    """From a worker: every worker writes the same list; a rename makes each write whole."""
    target = shared_dir / WAITING_IDS
    partial = target.with_suffix(f".{os.getpid()}")
    partial.write_text(json.dumps(node_ids))
    partial.replace(target)


class WaitingApart(LoadScheduling):
    """xdist's `load` scheduling, each test sent to the worker that asks as before, except that a
    test listed in WAITING_IDS goes to a worker only while none of the others has one sent and not
    done, and then before the rest of the queue."""

    def __init__(self, config, log=None, *, shared_dir: Path):
        super().__init__(config, log)
        self.shared_dir = shared_dir
        self.waiting: set[int] = set()
        self.waiting_left: list[int] = []  # in the suite's order

    def schedule(self) -> None:
        if self.collection is None and self.collection_is_completed:
            collection = next(iter(self.node2collection.values()))
            path = self.shared_dir / WAITING_IDS
            listed = set(json.loads(path.read_text())) if path.exists() else set()
            self.waiting = {index for index, node_id in enumerate(collection) if node_id in listed}
            self.waiting_left = sorted(self.waiting)
        super().schedule()

    def remove_node(self, node):
        """A worker that crashed: xdist hands its tests that had not started to the others; the
        waiting ones among them are still handed out one worker at a time."""
        requeued = self.node2pending.get(node, [])[1:]
        self.waiting_left = sorted(
            {*self.waiting_left, *(index for index in requeued if index in self.waiting)}
        )
        return super().remove_node(node)

    def _send_tests(self, node, num: int) -> None:
        chosen: list[int] = []
        for _ in range(num):
            index = self._next(node)
            if index is None:
                break
            chosen.append(index)
        if chosen:
            self.node2pending[node].extend(chosen)
            node.send_runtest_some(chosen)

    def _next(self, node) -> int | None:
        if not self.pending:
            return None
        elsewhere = [
            index
            for other, pending in self.node2pending.items()
            if other is not node
            for index in pending
        ]
        if self.waiting_left and not self.waiting.intersection(elsewhere):
            index = self.waiting_left.pop(0)
            self.pending.remove(index)
            return index
        for position, index in enumerate(self.pending):
            if index not in self.waiting:
                return self.pending.pop(position)
        index = self.pending.pop(0)  # only waiting tests are left
        if index in self.waiting_left:
            self.waiting_left.remove(index)
        return index
