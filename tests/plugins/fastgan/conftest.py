"""Fixtures of the FaSTGAN tests."""
import pytest


@pytest.fixture
def fresh_message_hub():
    """A new current MessageHub (no stale 'iter' from other tests)."""
    from mmengine.logging import MessageHub
    name = f'fastgan-test-{id(object())}'
    hub = MessageHub.get_instance(name)
    yield hub
    MessageHub._instance_dict.pop(name, None)
