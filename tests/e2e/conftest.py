import pytest

from tests.e2e.machine import BootedMachine


@pytest.fixture(scope="module")
def machine(request):
    """One machine for a test module, booted with the module's MACHINE_ARGS
    (e.g. ``("--net", "none")``), the defaults if it has none."""
    m = BootedMachine(*getattr(request.module, "MACHINE_ARGS", ()))
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
