"""A virtual dispenser: the firmware's controller driven by virtual hardware and a virtual clock.

True time (the world's) and the device's RTC time are kept apart, so clock faults and tampering can be
simulated: the device believes its RTC. All times are device-time integers (seconds since 2024-01-01Z).
The clock jumps from event to event; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sim.memfs import MemFS
from steadydose import storage
from steadydose.controller import COMPARTMENTS, Controller
from steadydose.timebase import parse_utc

ROOT = "/data"  # where the device keeps its journal and plans
SEG_BYTES = 32768  # journal segment before compaction (the Pico uses 8 KiB; RAM is plenty here)
RTC_LOST_READING = parse_utc("2000-01-01T00:00:00Z")  # what a DS3231 reads after losing power


@dataclass
class Carousel:
    """Forward-only carousel: N compartments behind a cover with one opening, a "closed" stop between
    each two compartments, a home sensor at compartment 0's stop, and injectable jams."""

    n: int = COMPARTMENTS
    filled: list[bool] = field(default_factory=list)
    position: int = 0  # 0: home; k: compartment k under the opening (or the stop after it when closed)
    jammed: bool = False
    closed: bool = True  # the opening sits on a closed stop between two compartments
    moves: int = 0
    turned: int = 0  # compartment pitches turned, all forward
    home_passes: int = 0  # times the home sensor saw the carousel go by (position checked every turn)
    empty_presented: int = 0

    def __post_init__(self) -> None:
        if not self.filled:
            self.filled = [True] * self.n

    def fill(self, doses: int, start: int) -> None:
        # compartments from `start` onwards (wrapping), `doses` of them
        self.filled = [False] * self.n
        for i in range(min(doses, self.n)):
            self.filled[(start - 1 + i) % self.n] = True

    def move(self, k: int) -> bool:
        """Turn forward to compartment k (0: home). False when jammed (the motor stalls)."""
        self.moves += 1
        if self.jammed:
            return False
        steps = (k - self.position) % (self.n + 1)  # forward only: home stop plus n compartments
        if k == 0 or self.position + steps > self.n:
            self.home_passes += 1
        self.turned += steps
        if k > 0:
            if not self.filled[k - 1]:
                self.empty_presented += 1  # the patient would get nothing: tests keep this at 0
            self.filled[k - 1] = False  # the patient takes what is presented
        self.position = k
        self.closed = k == 0
        return True


@dataclass
class Buzzer:
    played: list[tuple[int, str]] = field(default_factory=list)  # (true time, pattern or "off")

    def play(self, t: int, pattern: str | None) -> None:
        self.played.append((t, pattern or "off"))


class VirtualDevice:
    def __init__(self, start: int, *, compartments: int = COMPARTMENTS,
                 require_signature: bool = False, verify: Callable | None = None) -> None:
        self.true = start
        self.rtc_offset = 0  # device clock = true time + offset
        self.rtc_lost = False
        self.on = False
        self.boot_true = start
        self.fs = MemFS()  # the device's flash: only what storage wrote there survives a power cut
        self.journal = self.plans = None
        self.carousel = Carousel(compartments)
        self.buzzer = Buzzer()
        self.require_signature = require_signature
        self.verify = verify
        self.ctrl: Controller | None = None
        self.events: list[tuple[int, dict]] = []  # (true time, record)
        self.screens: list[tuple[int, str, dict]] = []  # (true time, screen, fields)
        self.listeners: list[Callable[[int, dict], None]] = []
        self.on_screen: Callable[[int, str, dict], None] | None = None

    def state(self):
        """The device's durable state: the live one while on, else what the stored records rebuild."""
        if self.ctrl is not None:
            return self.ctrl.st
        st, journal, _plans, _faults = storage.recover(ROOT, self.fs, seg_bytes=SEG_BYTES)
        journal.close()
        return st

    def frame(self, index: int = -1):
        """The display as the patient saw it: the device's screen code drawn into a 128x64 frame."""
        from sim.framebuf import display
        from steadydose.screens import render

        _, screen, fields = self.screens[index]
        fb = display()
        render(fb, screen, fields)
        return fb

    # -- clocks --
    @property
    def wall(self) -> int:
        return self.true + self.rtc_offset

    @property
    def mono(self) -> int:
        return self.true - self.boot_true

    def next_due(self) -> int | None:
        """True time of the device's next time-driven step (None when off or nothing is pending)."""
        if not self.on or self.ctrl is None:
            return None
        due = self.ctrl.next_due()
        return None if due is None else max(due - self.rtc_offset, self.true)

    def step(self, t: int | None = None) -> None:
        """Jump to the next time-driven step (at true time t when the caller already asked) and run it."""
        if t is None:
            t = self.next_due()
        if t is not None:
            self.true = t
            self._perform(self.ctrl.tick(self.wall, self.mono))

    def advance(self, true_t: int) -> None:
        """Let true time pass up to true_t, running every time-driven step the device takes on the way."""
        while True:
            t = self.next_due()
            if t is None or t > true_t:
                break
            self.step(t)
        self.true = max(self.true, true_t)

    # -- actions on the device --
    def power_on(self) -> None:
        if self.on:
            return
        self.on = True
        self.boot_true = self.true
        if self.rtc_lost:
            self.rtc_offset = RTC_LOST_READING - self.true
        # boot recovery through the device's own storage code: snapshot + journal -> state
        st, self.journal, self.plans, faults = storage.recover(ROOT, self.fs, seg_bytes=SEG_BYTES)
        self.ctrl = Controller(st, self.journal, compartments=self.carousel.n, verify=self.verify,
                               require_signature=self.require_signature)
        lost, self.rtc_lost = self.rtc_lost, False
        self._perform(self.ctrl.power_on(self.wall, self.mono, rtc_lost=lost))
        if faults:
            self._perform(self.ctrl.storage_fault(self.wall, self.mono, faults))

    def power_off(self) -> None:
        # volatile state is gone; only the journal's records (and the plan store) survive
        if self.journal is not None:
            self.journal.close()  # writes nothing: every record was flushed when it was made
        self.on = False
        self.ctrl = None

    def take(self) -> None:
        if self.on:
            self._perform(self.ctrl.take(self.wall, self.mono))

    def request_stop(self) -> None:
        if self.on:
            self._perform(self.ctrl.request_stop(self.wall, self.mono))

    def silence(self) -> None:
        if self.on:
            self._perform(self.ctrl.silence(self.wall, self.mono))

    def set_clock(self, to: int) -> None:
        if self.on:
            old = self.wall
            self.rtc_offset = to - self.true
            self._perform(self.ctrl.set_clock(to, old, self.mono))

    def confirm_clock(self) -> None:
        if self.on:
            self._perform(self.ctrl.confirm_clock(self.wall, self.mono))

    def load_plan(self, obj) -> None:
        if self.on:
            self._perform(self.ctrl.load_plan(obj, self.wall, self.mono))

    def refill(self, doses: int) -> None:
        if self.on:
            # filled from the compartment the device will present next
            self.carousel.fill(doses, self.ctrl.st.pos % self.carousel.n + 1)
            self._perform(self.ctrl.refill(self.wall, self.mono, doses))

    # -- hardware events (apply whether on or off) --
    def rtc_lost_power(self) -> None:
        self.rtc_lost = True

    def jam(self) -> None:
        self.carousel.jammed = True

    def clear_jam(self) -> None:
        self.carousel.jammed = False

    # -- performing the controller's actions --
    def _perform(self, actions: list) -> None:
        queue = list(actions)
        while queue:
            act = queue.pop(0)
            kind = act[0]
            if kind == "record":
                self.events.append((self.true, act[1]))
                for fn in self.listeners:
                    fn(self.true, act[1])
            elif kind == "move":
                ok = self.carousel.move(act[2])
                step = self.ctrl.motor_done if ok else self.ctrl.motor_failed
                queue.extend(step(self.wall, self.mono))
            elif kind == "close":
                self.carousel.closed = True
            elif kind in ("sound", "alarm"):
                self.buzzer.play(self.true, act[1])
            elif kind == "show":
                self.screens.append((self.true, act[1], act[2]))
                if self.on_screen is not None:
                    self.on_screen(self.true, act[1], act[2])
