"""A signal that raises while the garbage collector returns an arena block is not lost."""
import signal
import sys
import time

import pytest

from mapper.model.arena import BlockPool


def test_an_interrupt_raised_in_the_block_finalizer_reaches_the_main_code(monkeypatch):
    """Python only prints an exception raised in a finalizer (with a traceback, to the user's
    terminal) and drops it; the lease delivers it again to the main thread instead."""
    handled = []

    def handler(signum, frame):
        handled.append(signum)
        raise KeyboardInterrupt
    before = signal.signal(signal.SIGINT, handler)
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    pool = BlockPool()

    def interrupted(block):
        raise KeyboardInterrupt                   # as a handler raising inside give_back
    monkeypatch.setattr(pool, "give_back", interrupted)
    try:
        block = pool.take(64)
        with pytest.raises(KeyboardInterrupt):
            del block
            for _ in range(1000):                 # the main thread's next Python steps
                time.sleep(0.001)
    finally:
        signal.signal(signal.SIGINT, before)
    assert unraisable == [] and handled == [signal.SIGINT]
