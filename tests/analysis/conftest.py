import warnings

import pytest


@pytest.fixture(autouse=True)
def _quiet_peer_warnings():
    # esda/libpysal emit deprecation and island warnings that are not ours to fix
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield
