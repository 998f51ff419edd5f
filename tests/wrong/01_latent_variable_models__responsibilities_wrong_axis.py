"""GaussianMixture.responsibilities normalises over the data points instead of the components.

softmax over dim 0 of log p(z=j) + log p(x_n|z=j) [B, K] makes each *column* sum to 1, so
p(z=j|x_n) is no longer a distribution over j for each point: the gradient formula of the
chapter (and Bayes' rule) no longer holds.
"""

import math

import torch

import vae_lessons.toy as toy


def responsibilities(self, x):
    log_joint = self.components().log_prob(x.unsqueeze(-2)) - math.log(self.k)  # [B, K]
    return torch.softmax(log_joint, dim=0)


toy.GaussianMixture.responsibilities = responsibilities
