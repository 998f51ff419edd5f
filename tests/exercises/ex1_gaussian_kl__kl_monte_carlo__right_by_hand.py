# right: the log-ratio written out by hand, one draw per loop step, in float32 arithmetic
mu32, log_var32 = mu.float(), log_var.float()
out = []
for _ in range(n):
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).float()
    z = mu32 + torch.exp(0.5 * log_var32) * eps
    # log N(z; μ, σ²) − log N(z; 0, 1) = −½ log σ² − ½ ε² + ½ z²  (the log 2π terms cancel)
    out.append((-0.5 * log_var32 - 0.5 * eps**2 + 0.5 * z**2).sum(-1))
return torch.stack(out)
