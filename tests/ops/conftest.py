import pytest
from ops_cases import random_csr


@pytest.fixture
def csr():
    return random_csr
