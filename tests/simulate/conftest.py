import pytest
from simulate_nets import noisy_net


@pytest.fixture(scope="module")
def noisy():
    return noisy_net()
