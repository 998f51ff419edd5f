# right: the three terms averaged separately and combined term by term
reconstruction = log_px_z.sum() / len(log_px_z)
rate = kl_qz_x.sum() / len(kl_qz_x)
return reconstruction - rate + alpha * rate - alpha * divergence - lam * divergence + divergence
