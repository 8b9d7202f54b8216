"""Every bundled template gives CP-SAT a valid model (no int64 overflow in products, which
CP-SAT rejects as MODEL_INVALID) that is feasible for a real layer."""
import pytest

from mapper import api
from mapper.prune import TilingModel
from mapper.inputs.templates import TEMPLATE_DIR

TEMPLATES = sorted(p.stem for p in TEMPLATE_DIR.glob("*.yaml"))
LIBRARY = TEMPLATE_DIR.parent / "problems" / "layers" / "resnet18.yaml"


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_models_are_valid_and_feasible(template):
    spec = api.load([template, LIBRARY], need_mapping=False, layer="conv3x3_64_64_56")
    tm = TilingModel(spec.arch, spec.workload, spec.constraints)
    assert tm.model.Validate() == ""
    assert tm.feasible()
