"""Q-networks: shapes, the dueling identity, scaling, channels-last, and the chooser."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents.networks import MLP, NatureCNN, NipsCNN, SmallCNN, make_network

torch.set_num_threads(1)


def test_mlp_one_hot_equals_mlp_on_one_hot_vectors():
    torch.manual_seed(0)
    one_hot = MLP(5, 3, hidden=(8,), one_hot=True)
    dense = MLP(5, 3, hidden=(8,))
    dense.load_state_dict(one_hot.state_dict())
    states = torch.tensor([0, 3, 4])
    torch.testing.assert_close(one_hot(states), dense(torch.eye(5)[states]))


def test_dueling_parts_add_up_and_advantages_are_centred():
    torch.manual_seed(0)
    network = MLP(4, 3, hidden=(16,), dueling=True)
    q, value, advantages = network.forward_parts(torch.randn(7, 4))
    assert q.shape == (7, 3) and value.shape == (7,) and advantages.shape == (7, 3)
    torch.testing.assert_close(q, value[:, None] + advantages)
    torch.testing.assert_close(advantages.mean(dim=1), torch.zeros(7), atol=1e-6, rtol=0)
    assert MLP(4, 3).forward_parts(torch.zeros(1, 4)).value is None


def test_nature_cnn_scales_uint8_and_channels_last_gives_the_same_q_values():
    torch.manual_seed(0)
    network = NatureCNN(6)
    frames = torch.randint(0, 256, (2, 4, 84, 84), dtype=torch.uint8)
    q = network(frames)
    assert q.shape == (2, 6)
    torch.testing.assert_close(network.prepare(frames), frames.float() / 255.0)  # scaled inside
    torch.testing.assert_close(network(frames.float()), q)  # float frames in 0..255 alike
    network.to_channels_last()
    torch.testing.assert_close(network(frames), q, atol=1e-5, rtol=1e-4)


def test_prepared_bytes_widen_straight_to_bfloat16_under_autocast_with_the_float_values():
    network = NatureCNN(6).to_channels_last()
    frames = torch.randint(0, 256, (3, 4, 84, 84), dtype=torch.uint8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        prepared = network.prepare(frames)
        q_autocast = network(frames).float()
    assert prepared.dtype == torch.bfloat16
    assert prepared.is_contiguous(memory_format=torch.channels_last)
    # What autocast's first convolution made of the float32 input before: the same numbers.
    assert torch.equal(prepared, (frames.float() / 255.0).to(torch.bfloat16))
    torch.testing.assert_close(q_autocast, network(frames), atol=0.05, rtol=0.05)
    # A float input is left as it was (the scaling does not happen in place).
    floats = frames.float()
    network.prepare(floats)
    assert torch.equal(floats, frames.float())


def test_nips_cnn_is_the_2013_network_and_a_third_of_the_nature_one():
    network = make_network(gym.spaces.Box(0, 255, (4, 84, 84), np.uint8), 6, kind="nips")
    assert type(network) is NipsCNN
    frames = torch.randint(0, 256, (2, 4, 84, 84), dtype=torch.uint8)
    assert network(frames).shape == (2, 6)
    convolutions = [m for m in network.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convolutions] == [16, 32]
    assert network.head.in_features == 256
    assert (
        make_network(
            gym.spaces.Box(0, 255, (4, 84, 84), np.uint8), 6, kind="nips", hidden=(128,)
        ).head.in_features
        == 128
    )
    nips = sum(p.numel() for p in network.parameters())
    nature = sum(p.numel() for p in NatureCNN(6).parameters())
    assert nips < nature / 2
    with pytest.raises(ValueError, match="at least"):
        NipsCNN(6, (4, 20, 20))


def test_small_cnn_on_a_float_grid():
    network = SmallCNN((3, 10, 10), 5, dueling=True)
    assert network(torch.rand(2, 3, 10, 10)).shape == (2, 5)


@pytest.mark.parametrize(
    ("space", "kind"),
    [
        (gym.spaces.Box(0, 255, (4, 84, 84), np.uint8), NatureCNN),
        (gym.spaces.Box(0.0, 1.0, (3, 10, 10), np.float32), SmallCNN),
        (gym.spaces.Box(-1.0, 1.0, (6,), np.float32), MLP),
        (gym.spaces.Discrete(16), MLP),
    ],
)
def test_make_network_chooses_by_observation_space(space, kind):
    network = make_network(space, 4)
    assert type(network) is kind
    sample = torch.as_tensor(np.stack([space.sample(), space.sample()]))
    assert network(sample).shape == (2, 4)


def test_make_network_refuses_unknown_kinds_and_spaces():
    with pytest.raises(ValueError, match="Unknown network kind"):
        make_network(gym.spaces.Discrete(3), 2, kind="transformer")
    with pytest.raises(ValueError, match="Box or Discrete"):
        make_network(gym.spaces.MultiBinary(3), 2)
