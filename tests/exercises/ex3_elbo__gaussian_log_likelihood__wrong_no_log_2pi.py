# wrong: the constant −½·log 2π of each dimension is forgotten
return (-0.5 * log_var - (x - mean) ** 2 / (2 * torch.exp(log_var))).sum(-1)
