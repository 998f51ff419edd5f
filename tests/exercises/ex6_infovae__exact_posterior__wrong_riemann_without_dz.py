# wrong: a plain sum over the grid without the spacing Δz (log p(x) off by log Δz)
log_px = torch.logsumexp(log_joint, 0)
return (log_joint - log_px).exp(), log_px
