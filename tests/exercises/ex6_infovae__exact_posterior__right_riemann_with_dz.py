# right: a Riemann sum with the spacing Δz of the uniform grid (equal to the trapezoid rule when the ends carry no mass)
log_dz = math.log(float(z[1] - z[0]))
log_px = torch.logsumexp(log_joint, 0) + log_dz
return torch.exp(log_joint - log_px), log_px
