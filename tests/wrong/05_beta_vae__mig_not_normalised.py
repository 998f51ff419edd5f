"""The Mutual Information Gap without the division by the factor's entropy H(v_k).

Chen et al. (2018) normalise each gap I(z_j*; v_k) − I(z_j'; v_k) by H(v_k), so that MIG lies in
[0, 1]; without it the gaps are in nats and a perfect code scores H(v_k), not 1.
"""

import torch

import vae_lessons.metrics as metrics


def mig(codes, factors, *, bins=20):
    binned = metrics._histogram_bins(codes.detach().double().cpu(), bins)
    gaps = []
    for v in factors.detach().long().cpu().T:
        info = torch.stack([metrics._discrete_mutual_information(c, v) for c in binned.T])
        top2 = info.topk(2).values
        gaps.append(top2[0] - top2[1])
    gaps = torch.stack(gaps)
    return float(gaps.mean()), gaps


metrics.mig = mig
