# wrong: the divergence weighted by (α + λ) instead of (α + λ − 1)
per_point = log_px_z - (1 - alpha) * kl_qz_x
return per_point.mean() - (alpha + lam) * divergence
