# wrong: the KL weighted by (1 + α) instead of (1 − α)
per_point = log_px_z - (1 + alpha) * kl_qz_x
return per_point.mean() - (alpha + lam - 1) * divergence
