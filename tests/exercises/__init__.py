"""Tests on the public Timeloop/Accelergy exercises (Accelergy-Project/timeloop-accelergy-exercises,
MIT licence), as users have them, in ``../shared/exercises`` next to the checkout
(``$MAPPER_EXERCISES`` elsewhere). Without them these tests are skipped, saying why."""
import os
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("MAPPER_EXERCISES", Path(__file__).resolve().parents[3] / "shared"
                           / "exercises" / "timeloop-accelergy-exercises"))
WS = ROOT / "workspace"
TUTORIAL = WS / "tutorial_exercises" / "01_accelergy_timeloop_2020_ispass"
DSE = WS / "tutorial_exercises" / "02_interface_and_design_space_exploration_2024"
DESIGNS = WS / "example_designs" / "example_designs"

needs_exercises = pytest.mark.skipif(not WS.is_dir(), reason=f"no exercises at {ROOT} (set "
                                     f"MAPPER_EXERCISES to a timeloop-accelergy-exercises checkout)")
