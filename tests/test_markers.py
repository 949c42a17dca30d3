"""The markers `make test-fast` relies on: a test starting a process must be marked."""

import subprocess

import pytest


def test_an_unmarked_test_may_not_start_a_process():
    with pytest.raises(AssertionError, match=r"mark it @pytest.mark.processes"):
        subprocess.run(["true"], check=True)


@pytest.mark.processes
def test_a_marked_test_may():
    assert subprocess.run(["true"], check=True).returncode == 0
