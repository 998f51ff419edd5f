"""The modelling-bias KL(N(0, I_n) ‖ N(ε, I_n)) written as nε², without the ½."""

import vae_lessons.two_point as tp


def shift_kl(n, eps):
    return n * eps**2


tp.shift_kl = shift_kl
