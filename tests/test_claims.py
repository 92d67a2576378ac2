"""The claims of ``--share-work``, on each backend, against one model of what they mean.

A store (SQLite, PostgreSQL, any added later) is driven by random steps of
several processes: claims with a lease that runs out at once or never,
work settled done or given back (held back a while or not), everything an
ending process holds given back, leases renewed. After each step, what the
store says of every item (``holders``) is what the model says; and, as a
step among the others, what it says of every process (``fleet``, as
``--fleet`` prints it).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from imgur_dl.archive import Holder, Release, Settle, Store, open_store
from imgur_dl.models import Entry
from tests.conftest import ArchiveAt

NEVER = 1e6  # a lease or a hold that does not run out within the test; 0: one that has run out by the next step
COUNTS = ("working", "lapsed", "done", "failed")
_runs = itertools.count()

# Which process, which item (indices into a run's own), and the rest of each step. Two processes, three items
# of each kind, and few runs of many steps: what one process did is met by the other (or by itself) again
# within a run often enough that a renewal or a giving back that touched more rows than its own fails the test
# (at ten seeds: ten times, ten and nine).
_WHO = st.sampled_from(range(2))
_ITEM = st.sampled_from(range(3))
_TIME = st.sampled_from([0.0, NEVER])


@dataclass
class _Row:
    """The model's word on one item: as :class:`Holder` says it."""

    state: str
    owner: str
    reason: str | None
    open: bool


def _machine(store: Store) -> type[RuleBasedStateMachine]:
    class Claims(RuleBasedStateMachine):
        """One run of steps, in the same store as the others (a connection and a schema made once), by processes
        and on ids of its own: the earlier runs' rows stay as they were, and are left out of what is compared."""

        def __init__(self) -> None:
            super().__init__()
            run = next(_runs)
            self.owners = [f"host:{n}:{run:04x}" for n in (1, 2)]
            self.ids = [f"{name}{run}" for name in ("AbC", "XyZ", "Qq0")]
            self.failed_before = store.fleet(most=0).failed
            self.rows: dict[tuple[Entry, str], _Row] = {}

        @rule(kind=st.sampled_from(Entry), who=_WHO, items=st.lists(_ITEM, min_size=1, max_size=4), lease=_TIME)
        def claim(self, kind: Entry, who: int, items: list[int], lease: float) -> None:
            owner, ids = self.owners[who], [self.ids[i] for i in items]
            taken = set()
            for item in set(ids):
                row = self.rows.get((kind, item))
                # Free: never claimed, or not done and run out; or already this owner's claim (renewed).
                if row is None or (row.state != "done" and (row.open or (row.owner, row.state) == (owner, "claimed"))):
                    self.rows[kind, item] = _Row("claimed", owner, None, lease == 0)
                    taken.add(item)
            assert store.claim(kind, ids, owner, lease) == taken

        @rule(kind=st.sampled_from(Entry), who=_WHO, item=_ITEM,
              reason=st.sampled_from([None, "not found (404)", "timed out"]), hold=_TIME)
        def settle(self, kind: Entry, who: int, item: int, reason: str | None, hold: float) -> None:
            owner, key = self.owners[who], (kind, self.ids[item])
            store.write([Settle(kind, key[1], owner, reason, hold)])
            row = self.rows.get(key)
            if row is not None and reason is None:  # done, whoever held it
                self.rows[key] = _Row("done", owner, None, False)
            elif row is not None and (row.owner, row.state) == (owner, "claimed"):  # given back by its holder only
                self.rows[key] = _Row("failed", owner, reason, hold == 0)

        @rule(who=_WHO, reason=st.sampled_from(["interrupted", "left unfinished"]))
        def release(self, who: int, reason: str) -> None:
            owner = self.owners[who]
            store.write([Release(owner, reason)])
            for key, row in self.rows.items():
                if (row.owner, row.state) == (owner, "claimed"):
                    self.rows[key] = _Row("failed", owner, reason, True)

        @rule(who=_WHO, lease=_TIME)
        def renew(self, who: int, lease: float) -> None:
            owner = self.owners[who]
            store.renew(owner, lease)
            for row in self.rows.values():
                if (row.owner, row.state) == (owner, "claimed"):  # (not what it finished or gave back)
                    row.open = lease == 0

        @invariant()
        def each_item_is_as_the_model_says(self) -> None:
            for kind in Entry:
                assert store.holders(kind, self.ids) == {
                    item: Holder(row.state, row.owner, row.reason, row.open)
                    for (k, item), row in self.rows.items() if k == kind}

        @rule()
        def each_process_is_counted_as_the_model_says(self) -> None:  # (a step, not after each: it reads every row)
            fleet = store.fleet(most=len(self.rows) + 1)
            counts: dict[str, Counter[str]] = {}
            for row in self.rows.values():
                state = {"claimed": "lapsed" if row.open else "working"}.get(row.state, row.state)
                counts.setdefault(row.owner, Counter())[state] += 1
            assert {p["owner"]: [p[n] for n in COUNTS] for p in fleet.processes if p["owner"] in self.owners} \
                == {owner: [c[n] for n in COUNTS] for owner, c in counts.items()}
            failed = sum(row.state == "failed" for row in self.rows.values())
            assert fleet.failed - self.failed_before == failed
            ours = [f["by"] in self.owners for f in fleet.failures]  # (newest first: this run's, then an earlier one)
            assert ours == [True] * failed + [False] * (len(ours) - failed)

    return Claims


def test_claims_mean_on_each_backend_what_the_model_says(archive: ArchiveAt) -> None:
    store = open_store(archive.location)
    try:
        run_state_machine_as_test(_machine(store), settings=settings(
            max_examples=10, stateful_step_count=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]))
    finally:
        store.close()
