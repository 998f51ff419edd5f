# wrong: σ in place of σ² in the squared-error term (divides by 2σ, not by 2σ²)
sigma = torch.exp(0.5 * log_var)
return (-0.5 * math.log(2 * math.pi) - 0.5 * log_var - (x - mean) ** 2 / (2 * sigma)).sum(-1)
