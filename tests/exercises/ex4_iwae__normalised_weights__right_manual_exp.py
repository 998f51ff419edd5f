# right: exponentiate after subtracting each column's maximum, then divide by the column sum
shifted = torch.exp(log_w - log_w.max(dim=0, keepdim=True).values)
return shifted / shifted.sum(dim=0, keepdim=True)
