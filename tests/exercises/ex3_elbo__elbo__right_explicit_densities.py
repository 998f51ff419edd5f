# right: all three densities written with gaussian_log_likelihood from W, b, σ, and z from Normal.rsample
q = torch.distributions.Normal(mu, torch.exp(0.5 * log_var))
z = q.rsample((n,))  # [n, B, z_dim], reparameterized (global random stream)
mean_x = z @ model.W.T + model.b
log_px_z = gaussian_log_likelihood(x, mean_x, 2 * model.log_sigma * torch.ones_like(mean_x))
log_pz = gaussian_log_likelihood(z, torch.zeros_like(z), torch.zeros_like(z))
log_qz_x = gaussian_log_likelihood(z, mu, log_var)
return log_px_z + log_pz - log_qz_x
