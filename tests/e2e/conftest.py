import pytest

from tests.e2e.machine import BootedMachine


@pytest.fixture(scope="module")
def machine():
    m = BootedMachine()
    yield m
    m.stop()


@pytest.fixture()
def fresh_machine():
    m = BootedMachine()
    yield m
    m.stop()


@pytest.fixture()
def console(machine):
    child = machine.attach()
    yield child
    child.sendcontrol("]")
    child.expect(pexpect_eof())
    child.close()


def pexpect_eof():
    import pexpect

    return pexpect.EOF
