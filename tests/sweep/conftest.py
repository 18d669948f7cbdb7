import pytest
from sweep_specs import small_spec


@pytest.fixture
def spec_factory():
    return small_spec
