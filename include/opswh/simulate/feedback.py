"""User feedback in the behaviour model: survey answers (NPS, CSAT) and support tickets with their
status changes. A mixin of ``opswh.simulate.model.Simulator``.

What makes the metrics mean something: a channel's users differ in NPS (``CHANNEL_NPS``), a user
with an open ticket scores lower, and detractors and users waiting on a ticket are less active on
the following days (``DETRACTOR_ACTIVITY``, ``OPEN_TICKET_ACTIVITY``, applied by the day loop), so
they churn more. A ticket is answered after hours (faster the higher its priority), resolved after
a day or so, sometimes reopened and resolved again, rarely never resolved; each change is a row in
the partition of the day it happened."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from opswh import contract
from opswh.simulate.world import (
    CHANNEL_NPS,
    CHANNELS,
    COMMENTS,
    DAY_MS,
    DETRACTOR_ACTIVITY,
    DIRECT_NPS,
    NPS_SHARE,
    OPEN_TICKET_ACTIVITY,
    SURVEY_RATE,
    SURVEY_RATE_INACTIVE,
    TICKET_CATEGORIES,
    TICKET_RATE,
)

HOUR_MS = 3_600_000
NEVER = np.iinfo(np.int32).max  # the day a ticket that is never resolved closes
_NPS_MEAN = np.array([CHANNEL_NPS[c.id] for c in CHANNELS] + [DIRECT_NPS])
# hours to the first response by priority (low, normal, high, urgent): the mean of an exponential
_RESPONSE_HOURS = np.array([10.0, 5.0, 2.0, 0.5])


def user_mood(users: np.ndarray) -> np.ndarray:
    """A fixed per-user lean in [-1, 1), from the user's index (no state to keep)."""
    return (users.astype(np.uint64) * np.uint64(2_654_435_761) % np.uint64(1000)).astype(np.float64) / 500.0 - 1.0


class Feedback:
    """Survey answers and support tickets of one simulated day."""

    def _feedback(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        self._surveys(d, active, rng)
        self._tickets(d, active, rng)

    def feedback_activity(self, d: int, users: np.ndarray) -> np.ndarray:
        """The factor on the users' activity probability on day ``d``: detractors and users waiting on
        a ticket are less active."""
        u = self.users
        detractor = (u["nps_last"][users] > 0) & (u["nps_last"][users] <= 7)  # stored score + 1
        waiting = u["ticket_until"][users] > d
        return np.where(detractor, DETRACTOR_ACTIVITY, 1.0) * np.where(waiting, OPEN_TICKET_ACTIVITY, 1.0)

    def _surveys(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        """In-app and push surveys reach the day's active users; email and SMS surveys reach the
        inactive ones too (dormant and churned users answer less often)."""
        u = self.users
        inactive = u["reg_day"] < d
        inactive[active] = False
        inactive = np.flatnonzero(inactive)
        reached_active = active[rng.random(len(active)) < SURVEY_RATE]
        reached_inactive = inactive[rng.random(len(inactive)) < SURVEY_RATE_INACTIVE]
        who = np.concatenate([reached_active, reached_inactive])
        n = len(who)
        if not n:
            return
        survey_channel = np.concatenate(
            [
                rng.choice(["in_app", "push"], len(reached_active), p=[0.8, 0.2]),
                rng.choice(["email", "sms"], len(reached_inactive), p=[0.7, 0.3]),
            ]
        )
        nps = rng.random(n) < NPS_SHARE
        mean = _NPS_MEAN[u["channel"][who]] + 1.5 * user_mood(who) - 2.5 * (u["ticket_until"][who] > d)
        nps_score = np.clip(np.round(rng.normal(mean, 1.6)), 0, 10).astype(np.int32)
        csat_score = np.clip(np.round(1 + 0.4 * mean + rng.normal(0, 0.7, n)), 1, 5).astype(np.int32)
        score = np.where(nps, nps_score, csat_score)
        u.cols["nps_last"][who[nps]] = nps_score[nps] + 1
        mood = np.where(nps_score <= 6, "detractor", np.where(nps_score <= 8, "passive", "promoter"))
        comment = np.full(n, None, dtype=object)
        says = rng.random(n) < 0.3
        for kind, texts in COMMENTS.items():
            pick = says & (mood == kind)
            comment[pick] = np.array(texts, dtype=object)[rng.integers(0, len(texts), pick.sum())]
        kind = np.where(nps, "nps", "csat")
        t = pa.table(
            {
                "response_seq": pa.array(self._seq(n)),
                "survey_id": pa.array(np.char.add(kind.astype(str), f"-w{d // 7:03d}"), pa.string()),
                "survey_type": pa.array(kind, pa.string()),
                "user_idx": pa.array(who, pa.int64()),
                "survey_channel": pa.array(survey_channel, pa.string()),
                "score": pa.array(score, pa.int32()),
                "comment": pa.array(comment, pa.string()),
                "answered_ms": pa.array(self._day_ms(d, n, rng), pa.int64()),
            }
        )
        self.emit("survey_responses", t, d)

    def _tickets(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        u = self.users
        free = active[u["ticket_until"][active] <= d]
        who = free[rng.random(len(free)) < TICKET_RATE]
        n = len(who)
        if not n:
            return
        ids = self._seq(n)
        category = rng.choice(list(TICKET_CATEGORIES), n, p=list(TICKET_CATEGORIES.values()))
        priority = rng.choice(4, n, p=[0.25, 0.5, 0.2, 0.05])
        contact = rng.choice(contract.feeds.CONTACT_CHANNELS, n, p=[0.55, 0.15, 0.2, 0.1])
        created = self._day_ms(d, n, rng)
        first = created + 60_000 + (rng.exponential(1.0, n) * _RESPONSE_HOURS[priority] * HOUR_MS).astype(np.int64)
        resolved = first + 600_000 + (rng.exponential(20.0, n) * HOUR_MS).astype(np.int64)
        never = rng.random(n) < 0.04
        reopened = ~never & (rng.random(n) < 0.1)
        reopen_ms = resolved + rng.integers(1, 48, n) * HOUR_MS
        resolved_again = reopen_ms + 600_000 + (rng.exponential(12.0, n) * HOUR_MS).astype(np.int64)
        closed = np.where(reopened, resolved_again, resolved)
        u.cols["ticket_until"][who] = np.where(never, NEVER, self.day_of_ms(closed)).astype(np.int32)

        def rating(at: np.ndarray) -> pa.Array:
            """Half the users rate a resolution: the longer it took, the lower."""
            days = (at - created) / DAY_MS
            stars = np.clip(np.round(5 - 1.2 * days - 0.8 * reopened + rng.normal(0, 0.8, n)), 1, 5).astype(np.int32)
            return pa.array(stars, mask=rng.random(n) >= 0.5)

        changes = [
            (np.ones(n, bool), "created", created, pa.nulls(n, pa.int32())),
            (np.ones(n, bool), "first_response", first, pa.nulls(n, pa.int32())),
            (~never, "resolved", resolved, rating(resolved)),
            (reopened, "reopened", reopen_ms, pa.nulls(n, pa.int32())),
            (reopened, "resolved", resolved_again, rating(resolved_again)),
        ]
        for mask, status, at, satisfaction in changes:
            if not mask.any():
                continue
            m = pa.array(mask)
            t = pa.table(
                {
                    "ticket_seq": pa.array(ids[mask]),
                    "user_idx": pa.array(who[mask], pa.int64()),
                    "status": pa.array(np.full(mask.sum(), status), pa.string()),
                    "created_ms": pa.array(created[mask], pa.int64()),
                    "changed_ms": pa.array(at[mask], pa.int64()),
                    "category": pa.array(category[mask], pa.string()),
                    "priority": pa.array(np.array(contract.feeds.TICKET_PRIORITIES)[priority[mask]], pa.string()),
                    "contact_channel": pa.array(contact[mask], pa.string()),
                    "satisfaction": satisfaction.filter(m),
                }
            )
            self.emit("support_tickets", t, self.day_of_ms(at[mask]))
