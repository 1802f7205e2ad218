"""Patient models: seeded, reproducible behaviour on top of a scenario's scripted actions.

A model watches the device's events (what a person sees and hears: the chime, the alarms, the screen's
refusals) and schedules its own actions through `schedule(at, do)`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

Schedule = Callable[..., None]
MIN = 60


class Patient:
    """Adherent: takes each dose within minutes of the chime; retries when told to wait."""

    name = "adherent"

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.retried: set[str] = set()

    def react(self, t: int, rec: dict, schedule: Schedule) -> None:
        ev = rec["event"]
        if ev == "window_open":
            self.on_window(t, rec, schedule)
        elif ev == "refused" and rec.get("opens_at") is not None:
            self.on_wait(t, rec, schedule)
        elif ev == "alarm" and rec.get("cause") == "dose_due":
            schedule(t + self.rng.randint(1, 5) * MIN, "take")

    def on_window(self, t: int, rec: dict, schedule: Schedule) -> None:
        schedule(t + self.rng.randint(1, 12) * MIN, "take")

    def on_wait(self, t: int, rec: dict, schedule: Schedule) -> None:
        # the screen says when the dose can be had: come back then (once per slot)
        key = f"{rec.get('slot')}@{rec['opens_at']}"
        if key not in self.retried:
            self.retried.add(key)
            wait = rec["opens_at"] - rec["t"]
            schedule(t + max(wait, 0) + self.rng.randint(0, 3) * MIN, "take")


class Forgetful(Patient):
    """Misses some doses outright, and is late (sometimes past the window) on others."""

    name = "forgetful"

    def on_window(self, t: int, rec: dict, schedule: Schedule) -> None:
        r = self.rng.random()
        if r < 0.15:
            return  # forgets entirely; alarms may still bring them back
        if r < 0.40:
            schedule(t + self.rng.randint(40, 300) * MIN, "take")
        else:
            schedule(t + self.rng.randint(1, 20) * MIN, "take")

    def react(self, t: int, rec: dict, schedule: Schedule) -> None:
        if rec["event"] == "alarm" and rec.get("cause") == "dose_due" and self.rng.random() < 0.5:
            return  # sleeps through half the alarms
        super().react(t, rec, schedule)


class Human(Patient):
    """Adherent but human (the demo): usually prompt, sometimes late, now and then early or forgetful."""

    name = "human"

    def on_window(self, t: int, rec: dict, schedule: Schedule) -> None:
        r = self.rng.random()
        if r < 0.04:
            return  # forgets until an alarm reminds them (or the window closes)
        if r < 0.14:
            schedule(t + self.rng.randint(35, 70) * MIN, "take")  # busy: late, within the window
        else:
            schedule(t + self.rng.randint(1, 15) * MIN, "take")

    def react(self, t: int, rec: dict, schedule: Schedule) -> None:
        if rec["event"] == "alarm" and rec.get("cause") == "dose_due" and self.rng.random() < 0.3:
            return
        if rec["event"] == "dispensed" and self.rng.random() < 0.06:
            schedule(t + self.rng.randint(100, 200) * MIN, "take")  # "was that my dose?": too early
        super().react(t, rec, schedule)


class EarlyPresser(Patient):
    """Presses TAKE well before the window opens (is refused `too_early`), then comes back."""

    name = "early-presser"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.pressed: set[str] = set()

    def react(self, t: int, rec: dict, schedule: Schedule) -> None:
        super().react(t, rec, schedule)
        if rec["event"] in ("dispensed", "missed"):
            # after each dose, an early press a few hours later (before the next window)
            schedule(t + self.rng.randint(90, 200) * MIN, "take")


class Stopper(Patient):
    """Adherent, then asks to stop after a few days."""

    name = "stopper"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.stop_after = self.rng.randint(3, 7)  # days
        self.first: int | None = None
        self.asked = False

    def react(self, t: int, rec: dict, schedule: Schedule) -> None:
        if self.first is None:
            self.first = t
        super().react(t, rec, schedule)
        if not self.asked and t - self.first >= self.stop_after * 86400 and rec["event"] == "dispensed":
            self.asked = True
            schedule(t + 10 * MIN, "request_stop")


PATIENTS: dict[str, type[Patient]] = {
    cls.name: cls for cls in (Patient, Human, Forgetful, EarlyPresser, Stopper)
}


def make_patient(name: str, seed: int) -> Patient:
    return PATIENTS[name](seed)
