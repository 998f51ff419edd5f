"""DiscreteModel.decompositions averages q(z|x) uniformly over x for the aggregate posterior
q(z), forgetting to weight by p_D(x); KL(q(z)‖p(z)) and the decoder term are then wrong."""

import math

import torch
from torch.distributions import Categorical, kl_divergence

import vae_lessons.toy as toy


def decompositions(self):
    pD = self.log_pD.exp()
    log_q_joint = self.log_pD.unsqueeze(-1) + self.log_qz_x  # [X, Z]
    log_qz = torch.logsumexp(self.log_qz_x, 0) - math.log(self.log_qz_x.shape[0])  # no p_D
    log_qx_z = (log_q_joint - log_qz).T  # [Z, X]

    def kl(log_a, log_b):
        return kl_divergence(Categorical(logits=log_a), Categorical(logits=log_b))

    return {
        "elbo": (pD * self.elbo()).sum(),
        "kl_joint": kl(log_q_joint.flatten(), self.log_joint().flatten()),
        "kl_data": kl(self.log_pD, self.log_px()),
        "kl_posterior": (pD * kl(self.log_qz_x, self.log_pz_x())).sum(),
        "kl_prior": kl(log_qz, self.log_pz),
        "kl_decoder": (log_qz.exp() * kl(log_qx_z, self.log_px_z)).sum(),
        "entropy_data": Categorical(logits=self.log_pD).entropy(),
    }


toy.DiscreteModel.decompositions = decompositions
