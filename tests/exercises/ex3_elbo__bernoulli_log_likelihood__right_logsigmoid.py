# right: x·logsigmoid(ℓ) + (1 − x)·logsigmoid(−ℓ), stable because logsigmoid never takes the log of 0
log_y = torch.nn.functional.logsigmoid(logits)
log_1my = torch.nn.functional.logsigmoid(-logits)
return (x * log_y + (1 - x) * log_1my).sum(dim=-1)
