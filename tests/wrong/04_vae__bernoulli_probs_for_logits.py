"""BernoulliDecoder passes the network's output as probabilities where logits are expected.

``Bernoulli(self.net(z))`` reads its first argument as ``probs``: the unbounded outputs are taken
for pixel probabilities (validation is off), so log p(x|z) is no longer −BCE of the sigmoid.
Chapter 4's check that log p(x|z) equals the written-out sum and −BCE must catch it.
"""

from torch.distributions import Bernoulli, Independent

from vae_lessons.models import BernoulliDecoder


def forward(self, z):
    return Independent(Bernoulli(self.net(z), validate_args=False), 1, validate_args=False)


BernoulliDecoder.forward = forward
