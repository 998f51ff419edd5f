"""The rate taken as the KL of the aggregate posterior, KL(q(z) ‖ p(z)).

The rate is E_x KL(q(z|x) ‖ p(z)), the average of the per-x KLs; KL(q(z) ‖ p(z)) is only its
part that carries no information (rate = I_q(x; z) + KL(q(z) ‖ p(z))).
"""

import vae_lessons.toy as toy


def rate(self):
    return self.decompositions()["kl_prior"]


toy.DiscreteModel.rate = rate
